"""Post facts from the database: author (fan-out entries carry none), deleted, author private, username.

A post the database does not know is marked deleted. Errors propagate: without these facts the
visibility filters cannot run, and serving a post nobody checked is worse than an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.engine import Engine

from ranking.types import RankingContext, ScoredCandidate
from social_core.id_list import in_ids
from social_core.models import Post, User


class PostFactsHydrator:
    name = "post_facts"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._facts = (  # built once, run with each request's ids (see `ViewerGraphHydrator`, `in_ids`)
            select(Post.id, Post.author_id, Post.deleted_at.is_not(None), User.is_private, User.username)
            .join(User, User.id == Post.author_id)
            .where(in_ids(Post.id, "post_ids"))
        )

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> None:
        if not candidates:
            return
        with self.engine.connect() as conn:
            rows = {
                int(r[0]): r for r in conn.execute(self._facts, {"post_ids": [c.post_id for c in candidates]}).all()
            }
        for candidate in candidates:
            row = rows.get(candidate.post_id)
            if row is None:
                candidate.deleted = True
                continue
            candidate.author_id = int(row[1])
            candidate.deleted = bool(row[2])
            candidate.author_private = bool(row[3])
            candidate.author_name = str(row[4])

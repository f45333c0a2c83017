"""`fresh`: the newest posts of the accounts the user engages with most (likes, comments, saves)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.engine import Engine

from candidates.sources.base import Source, query_now
from candidates.sources.engagement import at, engagements
from candidates.types import CandidateQuery, Proposals
from social_core.id_list import in_ids
from social_core.models import Post


@dataclass(frozen=True)
class FreshConfig:
    affinity_days: float = 30.0  # engagement window that picks the authors
    max_age_hours: float = 72.0  # how new a post must be
    authors: int = 20


class FreshSource(Source):
    name = "fresh"

    def __init__(self, engine: Engine, config: FreshConfig | None = None) -> None:
        self.engine, self.config = engine, config or FreshConfig()
        # Built once, run with each request's values (see `TwoTowerSource`).
        user: BindParameter[int] = bindparam("user_id")
        rows = engagements(bindparam("since"), bindparam("until")).subquery()
        weight = func.sum(rows.c.weight).label("weight")
        self._top_authors = (
            select(Post.author_id, weight)
            .join(Post, Post.id == rows.c.post_id)
            .where(rows.c.user_id == user, Post.author_id != user)
            .group_by(Post.author_id)
            .order_by(weight.desc(), Post.author_id)
            .limit(self.config.authors)
        )
        self._newest = (
            select(Post.id, Post.author_id)
            .where(
                in_ids(Post.author_id, "authors"),
                Post.created_at >= bindparam("newer_than"),
                Post.created_at <= bindparam("until"),
                Post.deleted_at.is_(None),
            )
            .order_by(Post.created_at.desc())
            .limit(bindparam("limit"))
        )

    def fetch(self, query: CandidateQuery) -> Proposals:
        now = query_now(query)
        values = {
            "user_id": query.user_id,
            "since": at(now - self.config.affinity_days * 86_400),
            "newer_than": at(now - self.config.max_age_hours * 3600),
            "until": at(now),
            "limit": query.limit + len(query.exclude_post_ids),
        }
        with self.engine.connect() as conn:
            # Author id -> summed engagement weight of the user on the author's posts.
            affinity = {int(a): float(w) for a, w in conn.execute(self._top_authors, values).all()}
            if not affinity:
                return Proposals.none()
            rows = conn.execute(self._newest, values | {"authors": list(affinity)}).all()
        posts, authors = [p for p, _ in rows], [a for _, a in rows]
        return Proposals.of(posts, authors, [affinity[a] for a in authors]).kept(query)

"""`fresh`: the newest posts of the accounts the user engages with most (likes, comments, saves)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from candidates.sources.base import Source, query_now
from candidates.sources.engagement import at, engagements
from candidates.types import Candidate, CandidateQuery
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

    def fetch(self, query: CandidateQuery) -> list[Candidate]:
        now = query_now(query)
        affinity = self._top_authors(query.user_id, now)
        if not affinity:
            return []
        statement = (
            select(Post.id, Post.author_id, Post.created_at)
            .where(
                Post.author_id.in_(list(affinity)),
                Post.created_at >= at(now - self.config.max_age_hours * 3600),
                Post.created_at <= at(now),
                Post.deleted_at.is_(None),
            )
            .order_by(Post.created_at.desc())
            .limit(query.limit + len(query.exclude_post_ids))
        )
        with self.engine.connect() as conn:
            rows = conn.execute(statement).all()
        out = [
            Candidate(int(p), int(a), {self.name: affinity[int(a)]})
            for p, a, _ in rows
            if p not in query.exclude_post_ids
        ]
        return out[: query.limit]

    def _top_authors(self, user_id: int, now: float) -> dict[int, float]:
        """Author id → summed engagement weight of the user on the author's posts."""
        rows = engagements(at(now - self.config.affinity_days * 86_400), at(now)).subquery()
        weight = func.sum(rows.c.weight).label("weight")
        statement = (
            select(Post.author_id, weight)
            .join(Post, Post.id == rows.c.post_id)
            .where(rows.c.user_id == user_id, Post.author_id != user_id)
            .group_by(Post.author_id)
            .order_by(weight.desc(), Post.author_id)
            .limit(self.config.authors)
        )
        with self.engine.connect() as conn:
            return {int(a): float(w) for a, w in conn.execute(statement).all()}

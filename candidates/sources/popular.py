"""`popular`: trending posts, by engagement weighted with a half-life decay, computed from the DB.

The ranking is shared by every user, so it is cached in-process for `ttl_s` seconds per time bucket;
the user's own posts and excluded ones are filtered per request.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine

from candidates.sources.base import Source, query_now
from candidates.sources.engagement import at, engagements
from candidates.types import CandidateQuery, Proposals
from social_core.models import Post


@dataclass(frozen=True)
class PopularConfig:
    half_life_hours: float = 12.0
    window_hours: float = 72.0
    ttl_s: float = 60.0
    size: int = 2_000  # posts kept in the cached ranking


class PopularSource(Source):
    name = "popular"

    def __init__(self, engine: Engine, config: PopularConfig | None = None) -> None:
        self.engine, self.config = engine, config or PopularConfig()
        self._cache: tuple[int, Proposals] | None = None

    def fetch(self, query: CandidateQuery) -> Proposals:
        ranking = self.ranking(query_now(query))
        return ranking.take(ranking.author_id != query.user_id).kept(query)

    def ranking(self, now: float) -> Proposals:
        """Posts by decayed engagement, best first, cached per `ttl_s` bucket of `now`."""
        bucket = int(now // self.config.ttl_s)
        if self._cache is None or self._cache[0] != bucket:
            self._cache = (bucket, self._compute(now))
        return self._cache[1]

    def _compute(self, now: float) -> Proposals:
        rows = engagements(at(now - self.config.window_hours * 3600), at(now)).subquery()
        statement = (
            select(rows.c.post_id, Post.author_id, rows.c.created_at, rows.c.weight)
            .join(Post, Post.id == rows.c.post_id)
            .where(Post.deleted_at.is_(None))
        )
        with self.engine.connect() as conn:
            data = conn.execute(statement).all()
        if not data:
            return Proposals.none()
        posts = np.array([r[0] for r in data], dtype=np.int64)
        age_h = (now - np.array([r[2].timestamp() for r in data])) / 3600.0
        score = np.array([r[3] for r in data]) * 0.5 ** (age_h / self.config.half_life_hours)
        unique, inverse = np.unique(posts, return_inverse=True)
        totals = np.bincount(inverse, weights=score)
        authors = dict((int(r[0]), int(r[1])) for r in data)
        order = np.argsort(-totals, kind="stable")[: self.config.size]
        posts = unique[order]
        return Proposals.of(posts, [authors[p] for p in posts.tolist()], totals[order])

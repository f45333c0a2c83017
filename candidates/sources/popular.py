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
from candidates.types import Candidate, CandidateQuery
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
        self._cache: tuple[int, list[tuple[int, int, float]]] | None = None

    def fetch(self, query: CandidateQuery) -> list[Candidate]:
        ranking = self.ranking(query_now(query))
        out = [
            Candidate(post, author, {self.name: score})
            for post, author, score in ranking
            if author != query.user_id and post not in query.exclude_post_ids
        ]
        return out[: query.limit]

    def ranking(self, now: float) -> list[tuple[int, int, float]]:
        """(post_id, author_id, decayed engagement), best first, cached per `ttl_s` bucket of `now`."""
        bucket = int(now // self.config.ttl_s)
        if self._cache is None or self._cache[0] != bucket:
            self._cache = (bucket, self._compute(now))
        return self._cache[1]

    def _compute(self, now: float) -> list[tuple[int, int, float]]:
        rows = engagements(at(now - self.config.window_hours * 3600), at(now)).subquery()
        statement = (
            select(rows.c.post_id, Post.author_id, rows.c.created_at, rows.c.weight)
            .join(Post, Post.id == rows.c.post_id)
            .where(Post.deleted_at.is_(None))
        )
        with self.engine.connect() as conn:
            data = conn.execute(statement).all()
        if not data:
            return []
        posts = np.array([r[0] for r in data], dtype=np.int64)
        age_h = (now - np.array([r[2].timestamp() for r in data])) / 3600.0
        score = np.array([r[3] for r in data]) * 0.5 ** (age_h / self.config.half_life_hours)
        unique, inverse = np.unique(posts, return_inverse=True)
        totals = np.bincount(inverse, weights=score)
        authors = dict((int(r[0]), int(r[1])) for r in data)
        order = np.argsort(-totals, kind="stable")[: self.config.size]
        return [(int(unique[i]), authors[int(unique[i])], float(totals[i])) for i in order]

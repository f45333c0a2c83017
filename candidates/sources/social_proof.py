"""`social_proof`: recent posts that accounts the user follows have liked, most-liked first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.engine import Engine

from candidates.sources.base import Source, query_now
from candidates.sources.engagement import at
from candidates.types import Candidate, CandidateQuery
from social_core.models import Follow, Like, Post


@dataclass(frozen=True)
class SocialProofConfig:
    window_hours: float = 72.0


class SocialProofSource(Source):
    name = "social_proof"

    def __init__(self, engine: Engine, config: SocialProofConfig | None = None) -> None:
        self.engine, self.config = engine, config or SocialProofConfig()

    def fetch(self, query: CandidateQuery) -> list[Candidate]:
        now = query_now(query)
        likers = func.count().label("likers")
        statement = (
            select(Like.post_id, Post.author_id, likers)
            .join(Follow, (Follow.followee_id == Like.user_id) & (Follow.follower_id == query.user_id))
            .join(Post, Post.id == Like.post_id)
            .where(
                Like.created_at >= at(now - self.config.window_hours * 3600),
                Like.created_at <= at(now),
                Post.author_id != query.user_id,
                Post.deleted_at.is_(None),
            )
            .group_by(Like.post_id, Post.author_id)
            .order_by(likers.desc(), func.max(Like.created_at).desc())
            .limit(query.limit + len(query.exclude_post_ids))
        )
        with self.engine.connect() as conn:
            rows = conn.execute(statement).all()
        out = [Candidate(int(p), int(a), {self.name: float(n)}) for p, a, n in rows if p not in query.exclude_post_ids]
        return out[: query.limit]

"""`social_proof`: recent posts that accounts the user follows have liked, most-liked first."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BindParameter, bindparam, func, select
from sqlalchemy.engine import Engine

from candidates.sources.base import Source, query_now
from candidates.sources.engagement import at
from candidates.types import CandidateQuery, Proposals
from social_core.models import Follow, Like, Post


@dataclass(frozen=True)
class SocialProofConfig:
    window_hours: float = 72.0


class SocialProofSource(Source):
    name = "social_proof"

    def __init__(self, engine: Engine, config: SocialProofConfig | None = None) -> None:
        self.engine, self.config = engine, config or SocialProofConfig()
        # Built once, run with each request's values (see `TwoTowerSource`).
        user: BindParameter[int] = bindparam("user_id")
        likers = func.count().label("likers")
        self._liked = (
            select(Like.post_id, Post.author_id, likers)
            .join(Follow, (Follow.followee_id == Like.user_id) & (Follow.follower_id == user))
            .join(Post, Post.id == Like.post_id)
            .where(
                Like.created_at >= bindparam("since"),
                Like.created_at <= bindparam("until"),
                Post.author_id != user,
                Post.deleted_at.is_(None),
            )
            .group_by(Like.post_id, Post.author_id)
            .order_by(likers.desc(), func.max(Like.created_at).desc())
            .limit(bindparam("limit"))
        )

    def fetch(self, query: CandidateQuery) -> Proposals:
        now = query_now(query)
        values = {
            "user_id": query.user_id,
            "since": at(now - self.config.window_hours * 3600),
            "until": at(now),
            "limit": query.limit + len(query.exclude_post_ids),
        }
        with self.engine.connect() as conn:
            rows = conn.execute(self._liked, values).all()
        return Proposals.of([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]).kept(query)

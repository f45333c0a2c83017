"""`following`: the in-network feed, the user's fan-out set merged with the followed celebrities' posts.

The fan-out set is a cache: when it was never built (new user, Redis restarted, a follow or block
invalidated it) it is rebuilt here from the database, the newest `feed_cap` posts of the followed
authors under the celebrity threshold, before it is read. A followed celebrity whose `posts:` set is
empty (Redis restarted) is read from the database instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine

from candidates.fanout import FanoutConfig, built_key, feed_key, posts_key
from candidates.sources.base import Source, query_now
from candidates.sources.engagement import at
from candidates.types import NO_AUTHOR, CandidateQuery, Proposals
from social_core.models import Follow, Post, User


@dataclass(frozen=True)
class FollowingConfig:
    fanout: FanoutConfig = field(default_factory=FanoutConfig)
    per_celebrity: int = 50  # newest posts pulled from each followed celebrity


class FollowingSource(Source):
    name = "following"

    def __init__(self, redis: Any, engine: Engine, config: FollowingConfig | None = None) -> None:
        self.redis, self.engine, self.config = redis, engine, config or FollowingConfig()
        # Built once, run with each request's values (see `TwoTowerSource`).
        self._celebrities = (
            select(Follow.followee_id)
            .join(User, User.id == Follow.followee_id)
            .where(
                Follow.follower_id == bindparam("user_id"),
                User.followers_count >= self.config.fanout.celebrity_threshold,
            )
            .order_by(Follow.followee_id)
        )
        self._latest = (
            select(Post.id, Post.created_at)
            .where(
                Post.author_id == bindparam("author_id"), Post.deleted_at.is_(None), Post.created_at <= bindparam("now")
            )
            .order_by(Post.created_at.desc())
            .limit(self.config.per_celebrity)
        )

    def fetch(self, query: CandidateQuery) -> Proposals:
        now = query_now(query)
        celebrities = self._followed_celebrities(query)
        built, feed, *pulled = self._read(query.user_id, celebrities, now, query.limit)
        if not built:  # not built yet: from the database, then read again
            self.rebuild(query.user_id)
            built, feed, *pulled = self._read(query.user_id, celebrities, now, query.limit)
        pulled = [rows or self._latest_posts(a, now) for a, rows in zip(celebrities, pulled, strict=True)]
        lists = [(NO_AUTHOR, feed), *zip(celebrities, pulled, strict=True)]  # a fan-out entry names no author
        posts = np.array([int(m) for _, rows in lists for m, _ in rows], dtype=np.int64)
        scores = np.array([s for _, rows in lists for _, s in rows], dtype=np.float64)
        authors = np.concatenate([np.full(len(rows), author, dtype=np.int64) for author, rows in lists])
        order = np.argsort(-scores, kind="stable")  # newest first
        newest = Proposals(posts[order], authors[order], scores[order])
        first = np.unique(newest.post_id, return_index=True)[1]  # a post in two lists: its first entry
        return newest.take(np.sort(first)).kept(query)

    def rebuild(self, user_id: int) -> int:
        """Write the newest posts of the pushed (non-celebrity) followed authors into the user's feed."""
        statement = (
            select(Post.id, Post.created_at)
            .join(Follow, Follow.followee_id == Post.author_id)
            .join(User, User.id == Post.author_id)
            .where(
                Follow.follower_id == user_id,
                Post.deleted_at.is_(None),
                User.followers_count < self.config.fanout.celebrity_threshold,
            )
            .order_by(Post.created_at.desc())
            .limit(self.config.fanout.feed_cap)
        )
        with self.engine.connect() as conn:
            rows = {str(p): at.timestamp() for p, at in conn.execute(statement).all()}
        pipe = self.redis.pipeline(transaction=True)
        if rows:
            pipe.zadd(feed_key(user_id), rows)
            pipe.zremrangebyrank(feed_key(user_id), 0, -self.config.fanout.feed_cap - 1)
        pipe.set(built_key(user_id), 1)
        pipe.execute()
        return len(rows)

    def _read(self, user_id: int, celebrities: list[int], now: float, limit: int) -> list[Any]:
        """[feed built?, the user's feed entries, each celebrity's newest posts], one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.exists(built_key(user_id))
        pipe.zrevrangebyscore(feed_key(user_id), now, "-inf", start=0, num=limit, withscores=True)
        for author in celebrities:
            pipe.zrevrangebyscore(
                posts_key(author), now, "-inf", start=0, num=self.config.per_celebrity, withscores=True
            )
        return list(pipe.execute())

    def _latest_posts(self, author_id: int, now: float) -> list[tuple[bytes, float]]:
        with self.engine.connect() as conn:
            rows = conn.execute(self._latest, {"author_id": author_id, "now": at(now)}).all()
        return [(str(p).encode(), created.timestamp()) for p, created in rows]

    def _followed_celebrities(self, query: CandidateQuery) -> list[int]:
        """By id: from the query's followees when the caller read them, else from the database."""
        if query.followees is not None:
            threshold = self.config.fanout.celebrity_threshold
            return sorted(a for a, followers in query.followees.items() if followers >= threshold)
        with self.engine.connect() as conn:
            return [int(a) for a in conn.scalars(self._celebrities, {"user_id": query.user_id}).all()]

"""`SeenStore`: the last N posts each user was shown, in Redis, so a feed does not repeat itself.

One sorted set per user, `seen:{user_id}`: member = post id, score = when it was last shown. Recording
keeps only the newest `keep` members and refreshes a TTL, so a user who stops coming back costs
nothing after `ttl_s`. Works with redis-py and fakeredis alike (plain commands, no scripts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from social_core.types import PostId, UserId


@dataclass(frozen=True)
class SeenConfig:
    keep: int = 500  # impressions remembered per user
    ttl_s: int = 7 * 86_400
    prefix: str = "seen:"


class SeenStore:
    def __init__(self, redis: Any, config: SeenConfig | None = None) -> None:
        self.redis, self.config = redis, config or SeenConfig()

    def key(self, user_id: UserId) -> str:
        return f"{self.config.prefix}{user_id}"

    def record(self, user_id: UserId, post_ids: Iterable[PostId], ts: float) -> None:
        """Mark posts as shown at `ts` (a repeat impression moves the post to the newest end)."""
        members = {str(int(p)): float(ts) for p in post_ids}
        if not members:
            return
        key = self.key(user_id)
        pipe = self.redis.pipeline(transaction=False)  # one round trip; each command is idempotent
        pipe.zadd(key, members)
        pipe.zremrangebyrank(key, 0, -self.config.keep - 1)
        pipe.expire(key, self.config.ttl_s)
        pipe.execute()

    def recent(self, user_id: UserId, n: int | None = None) -> list[PostId]:
        """The user's last `n` (default: all kept) shown posts, newest first."""
        count = self.config.keep if n is None else n
        if count <= 0:
            return []
        return [int(m) for m in self.redis.zrevrange(self.key(user_id), 0, count - 1)]

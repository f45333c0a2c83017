"""`RankedListCache`: one ranked feed or explore list per user in Redis, read page by page.

Page 1 ranks afresh and stores the whole ranked list (`feed_cache_size` items) under a new `list_id`;
later pages slice it by offset, so the pages of one list can neither repeat nor skip an item. A cursor
carries the list id: once the list is gone (TTL, or a follow, unfollow, block or preference change
dropped it) or a newer refresh replaced it, the cursor no longer matches and the caller ranks again.
One JSON value per list: a page reads it whole (a few tens of kB), which keeps a list and its
`served_by` consistent without a transaction. Redis errors propagate: the caller picks the fallback.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from ranking.result import ServedBy, ServedItem
from social_core.types import UserId

PIPELINES = ("feed", "explore")


@dataclass(frozen=True)
class CacheConfig:
    ttl_s: int = 600  # 0: nothing is cached, every page ranks again
    prefix: str = "feedcache:"


@dataclass(frozen=True)
class RankedList:
    list_id: str
    served_by: ServedBy
    items: tuple[ServedItem, ...]
    two_tower_version: str | None = None  # the retrieval model behind the list, when two-tower answered
    base: int = 0  # feed position of items[0]: 0, or where the user was when an expired list was re-ranked

    @classmethod
    def new(
        cls, served_by: ServedBy, items: list[ServedItem], two_tower_version: str | None, base: int = 0
    ) -> RankedList:
        return cls(uuid.uuid4().hex[:16], served_by, tuple(items), two_tower_version, base)

    def dumps(self) -> str:
        return json.dumps(
            {
                "list_id": self.list_id,
                "served_by": asdict(self.served_by),
                "two_tower_version": self.two_tower_version,
                "base": self.base,
                "items": [[i.post_id, i.author_id, i.score, i.reason, list(i.sources)] for i in self.items],
            }
        )

    @classmethod
    def loads(cls, raw: str | bytes) -> RankedList:
        data: dict[str, Any] = json.loads(raw)
        by = data["served_by"]
        served_by = ServedBy(
            by["pipeline"],
            by["scorer"],
            by["model_version"],
            tuple(by["sources"]),
            tuple(by["failed_sources"]),
            tuple(by["degraded_reasons"]),
        )
        items = tuple(ServedItem(int(p), int(a), float(s), str(r), tuple(src)) for p, a, s, r, src in data["items"])
        return cls(str(data["list_id"]), served_by, items, data["two_tower_version"], int(data["base"]))


class RankedListCache:
    def __init__(self, redis: Any, config: CacheConfig | None = None) -> None:
        self.redis, self.config = redis, config or CacheConfig()

    def key(self, pipeline: str, user_id: UserId) -> str:
        return f"{self.config.prefix}{pipeline}:{user_id}"

    def get(self, pipeline: str, user_id: UserId) -> RankedList | None:
        raw = self.redis.get(self.key(pipeline, user_id))
        return RankedList.loads(raw) if raw is not None else None

    def put(self, user_id: UserId, ranked: RankedList) -> None:
        """Store (replacing the user's previous list of that pipeline) for `ttl_s` seconds."""
        if self.config.ttl_s > 0:
            self.redis.set(self.key(ranked.served_by.pipeline, user_id), ranked.dumps(), ex=self.config.ttl_s)

    def invalidate(self, *user_ids: UserId) -> None:
        """Drop every cached list of these users (idempotent)."""
        keys = [self.key(pipeline, user_id) for user_id in user_ids for pipeline in PIPELINES]
        if keys:
            self.redis.delete(*keys)

    def ping(self) -> None:
        """Raise when Redis is unreachable (before ranking a page that could not be cached)."""
        self.redis.ping()

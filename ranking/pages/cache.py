"""`RankedListCache`: one ranked feed or explore list per user in Redis, read page by page.

Page 1 ranks afresh and stores the whole ranked list (`feed_cache_size` items) under a new `list_id`;
later pages slice it by offset, so the pages of one list can neither repeat nor skip an item. A cursor
carries the list id: once the list is gone (TTL, or a follow, unfollow, block or preference change
dropped it) or a newer refresh replaced it, the cursor no longer matches and the caller ranks again.

One Redis list per ranked list: its header (list id, `served_by`, base) first, then one JSON value per
item. A page reads the header and only its own items in one MULTI, so it sees one list whole, never
half of a replacement, and decodes 20 items rather than all 300 (decoding the whole list was a quarter
of a cached page's time). Redis errors propagate: the caller picks the fallback.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

import orjson

from ranking.degraded import Degraded
from ranking.result import ServedBy, ServedItem
from social_core.types import UserId

PIPELINES = ("feed", "explore")


@dataclass(frozen=True)
class CacheConfig:
    ttl_s: int = 600  # 0: nothing is cached, every page ranks again
    # Not "feedcache:" (one JSON string: a list read of it fails, WRONGTYPE) nor "feedlist:" (free-text
    # degraded reasons, which `Degraded` cannot read): lists an older server cached expire unread.
    prefix: str = "feedlist:2:"


@dataclass(frozen=True)
class ListHeader:
    list_id: str  # "": not cached (ranked without Redis)
    served_by: ServedBy
    two_tower_version: str | None = None  # the retrieval model behind the list, when two-tower answered
    base: int = 0  # feed position of the list's first item: 0, or where the user was when an expired list was re-ranked

    def dumps(self) -> str:
        return orjson.dumps(asdict(self)).decode()

    @classmethod
    def loads(cls, raw: str | bytes) -> ListHeader:
        data: dict[str, Any] = orjson.loads(raw)
        by = data["served_by"]
        served_by = ServedBy(
            by["pipeline"],
            by["scorer"],
            by["model_version"],
            tuple(by["sources"]),
            tuple(by["failed_sources"]),
            tuple(Degraded(reason) for reason in by["degraded_reasons"]),
        )
        return cls(str(data["list_id"]), served_by, data["two_tower_version"], int(data["base"]))


@dataclass(frozen=True)
class Window:
    """One page of a ranked list: its items and whether the list goes on after them."""

    header: ListHeader
    items: list[ServedItem]
    more: bool


@dataclass(frozen=True)
class RankedList:
    header: ListHeader
    items: tuple[ServedItem, ...]

    @classmethod
    def new(
        cls, served_by: ServedBy, items: list[ServedItem], two_tower_version: str | None, base: int = 0
    ) -> RankedList:
        return cls(ListHeader(uuid.uuid4().hex[:16], served_by, two_tower_version, base), tuple(items))

    def window(self, position: int, limit: int) -> Window:
        """The items at feed positions [position, position + limit). Uncached (list id ""), a list is ranked
        only as deep as the page asked, so there may be more whenever the page came out full."""
        start = _start(self.header, position)
        items = list(self.items[start : start + limit])
        more = start + limit < len(self.items) if self.header.list_id else len(items) == limit
        return Window(self.header, items, more)


class RankedListCache:
    def __init__(self, redis: Any, config: CacheConfig | None = None) -> None:
        self.redis, self.config = redis, config or CacheConfig()

    def key(self, pipeline: str, user_id: UserId) -> str:
        return f"{self.config.prefix}{pipeline}:{user_id}"

    def window(self, pipeline: str, user_id: UserId, position: int, limit: int) -> Window | None:
        """The cached list's items at feed positions [position, position + limit); None when there is no list.

        One round trip, reading as if the list started at the top of the feed; a list re-ranked deeper
        (`base` > 0) whose page starts elsewhere takes a second read, and counts as gone if another list
        replaced it in between."""
        key = self.key(pipeline, user_id)
        raw, rows, length = self._read(key, position, limit)
        if raw is None:
            return None
        header = ListHeader.loads(raw)
        start = _start(header, position)
        if start != position:
            again, rows, length = self._read(key, start, limit)
            if again != raw:
                return None
        return Window(header, [_item(row) for row in rows], start + limit < length - 1)

    def get(self, pipeline: str, user_id: UserId) -> RankedList | None:
        """The whole cached list (None when there is none)."""
        raw = self.redis.lrange(self.key(pipeline, user_id), 0, -1)
        return RankedList(ListHeader.loads(raw[0]), tuple(_item(row) for row in raw[1:])) if raw else None

    def put(self, user_id: UserId, ranked: RankedList) -> None:
        """Store (replacing the user's previous list of that pipeline) for `ttl_s` seconds."""
        if self.config.ttl_s <= 0:
            return
        key = self.key(ranked.header.served_by.pipeline, user_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(key)
        pipe.rpush(key, ranked.header.dumps(), *(_row(item) for item in ranked.items))
        pipe.expire(key, self.config.ttl_s)
        pipe.execute()

    def invalidate(self, *user_ids: UserId) -> None:
        """Drop every cached list of these users (idempotent)."""
        keys = [self.key(pipeline, user_id) for user_id in user_ids for pipeline in PIPELINES]
        if keys:
            self.redis.delete(*keys)

    def ping(self) -> None:
        """Raise when Redis is unreachable (before ranking a page that could not be cached)."""
        self.redis.ping()

    def _read(self, key: str, start: int, limit: int) -> tuple[bytes | None, list[bytes], int]:
        """The header, items [start, start + limit) and the length of the Redis list, in one MULTI."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.lindex(key, 0)
        pipe.lrange(key, start + 1, start + limit)  # item i is element i + 1, after the header
        pipe.llen(key)
        raw, rows, length = pipe.execute()
        return raw, rows, int(length)


def _start(header: ListHeader, position: int) -> int:
    return max(position - header.base, 0)  # a forged offset before the list cannot read before it


# orjson: a first page writes its whole ranked list (300 items), and json.dumps was 6% of the page.
def _row(item: ServedItem) -> bytes:
    row = [item.post_id, item.author_id, item.score, item.reason, item.sources]
    return orjson.dumps(row, option=orjson.OPT_SERIALIZE_NUMPY)  # a score may be a NumPy float


def _item(raw: str | bytes) -> ServedItem:
    post_id, author_id, score, reason, sources = orjson.loads(raw)
    score = float("nan") if score is None else float(score)  # orjson writes NaN as null
    return ServedItem(int(post_id), int(author_id), score, str(reason), tuple(sources))

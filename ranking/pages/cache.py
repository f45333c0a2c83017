"""`RankedListCache`: one ranked feed or explore list per user in Redis, read page by page.

Page 1 ranks afresh and stores the whole ranked list (`feed_cache_size` items) under a new `list_id`;
later pages slice it by offset, so the pages of one list can neither repeat nor skip an item. A cursor
carries the list id: once the list is gone (TTL, or a follow, unfollow, block or preference change
dropped it) or a newer refresh replaced it, the cursor no longer matches and the caller ranks again.

Two Redis strings per ranked list, written together in one MULTI with one TTL: its header (list id,
`served_by`, base, the names of the rows' source bits) as JSON, and its rows as the fixed-width records
of `ranking.result.ROW`. A page reads the header and only its own records (GETRANGE) in one MULTI, so it
sees one list whole, never half of a replacement, and a reason's text is written only for the page's
items. Both keys share a hash tag, so they stay on one node of a Redis Cluster. Redis errors propagate:
the caller picks the fallback.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import orjson

from ranking.degraded import Degraded
from ranking.explain import Usernames, no_names
from ranking.result import ROW, ServedBy, ServedItem, ServedList
from social_core.types import UserId

PIPELINES = ("feed", "explore")


@dataclass(frozen=True)
class CacheConfig:
    ttl_s: int = 600  # 0: nothing is cached, every page ranks again
    # Not "feedcache:", "feedlist:" or "feedlist:2:" (JSON layouts of older servers): their lists expire unread.
    prefix: str = "feedlist:3:"


@dataclass(frozen=True)
class ListHeader:
    list_id: str  # "": not cached (ranked without Redis)
    served_by: ServedBy
    two_tower_version: str | None = None  # the retrieval model behind the list, when two-tower answered
    base: int = 0  # feed position of the list's first item: 0, or where the user was when an expired list was re-ranked
    source_bits: tuple[str, ...] = ()  # the source of each bit of the rows' `bits`

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
        bits = tuple(data["source_bits"])
        return cls(str(data["list_id"]), served_by, data["two_tower_version"], int(data["base"]), bits)


@dataclass(frozen=True)
class Window:
    """One page of a ranked list: its items and whether the list goes on after them."""

    header: ListHeader
    items: list[ServedItem]
    more: bool


@dataclass(frozen=True)
class RankedList:
    header: ListHeader
    served: ServedList

    @classmethod
    def new(cls, served_by: ServedBy, served: ServedList, two_tower_version: str | None, base: int = 0) -> RankedList:
        header = ListHeader(uuid.uuid4().hex[:16], served_by, two_tower_version, base, served.sources)
        return cls(header, served)

    def window(self, position: int, limit: int) -> Window:
        """The items at feed positions [position, position + limit). Uncached (list id ""), a list is ranked
        only as deep as the page asked, so there may be more whenever the page came out full."""
        start = _start(self.header, position)
        items = self.served[start : start + limit].items()
        more = start + limit < len(self.served) if self.header.list_id else len(items) == limit
        return Window(self.header, items, more)


class RankedListCache:
    def __init__(self, redis: Any, config: CacheConfig | None = None, usernames: Usernames = no_names) -> None:
        self.redis, self.config, self.usernames = redis, config or CacheConfig(), usernames

    def key(self, pipeline: str, user_id: UserId) -> str:
        """The header's key (the rows' key is `_rows_key` of it)."""
        return f"{self.config.prefix}{{{pipeline}:{user_id}}}"

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
        return Window(header, self._served(header, rows).items(), start + limit < length)

    def get(self, pipeline: str, user_id: UserId) -> RankedList | None:
        """The whole cached list (None when there is none)."""
        key = self.key(pipeline, user_id)
        raw, rows = self.redis.mget(key, _rows_key(key))
        if raw is None or rows is None:
            return None
        header = ListHeader.loads(raw)
        return RankedList(header, self._served(header, rows))

    def put(self, user_id: UserId, ranked: RankedList) -> None:
        """Store (replacing the user's previous list of that pipeline) for `ttl_s` seconds."""
        if self.config.ttl_s <= 0:
            return
        key = self.key(ranked.header.served_by.pipeline, user_id)
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(key, ranked.header.dumps(), ex=self.config.ttl_s)
        pipe.set(_rows_key(key), ranked.served.rows.tobytes(), ex=self.config.ttl_s)
        pipe.execute()

    def invalidate(self, *user_ids: UserId) -> None:
        """Drop every cached list of these users (idempotent)."""
        keys = [self.key(pipeline, user_id) for user_id in user_ids for pipeline in PIPELINES]
        if keys:
            self.redis.delete(*keys, *map(_rows_key, keys))

    def ping(self) -> None:
        """Raise when Redis is unreachable (before ranking a page that could not be cached)."""
        self.redis.ping()

    def _served(self, header: ListHeader, rows: bytes) -> ServedList:
        return ServedList(header.source_bits, np.frombuffer(rows, dtype=ROW), self.usernames)

    def _read(self, key: str, start: int, limit: int) -> tuple[bytes | None, bytes, int]:
        """The header, the records of items [start, start + limit) and the list's length, in one MULTI."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.get(key)
        pipe.getrange(_rows_key(key), start * ROW.itemsize, (start + limit) * ROW.itemsize - 1)
        pipe.strlen(_rows_key(key))
        raw, rows, length = pipe.execute()
        return raw, rows, int(length) // ROW.itemsize


def _rows_key(key: str) -> str:
    return f"{key}:rows"  # the header's hash tag: the same Redis Cluster slot


def _start(header: ListHeader, position: int) -> int:
    return max(position - header.base, 0)  # a forged offset before the list cannot read before it

"""The story tray cache: one Redis entry per viewer, checked against a per-viewer version, short-lived.

Why this shape:
- The viewer's own actions that change their tray (viewing a story, following or unfollowing,
  blocking, being blocked, posting or deleting a story) bump the viewer's version key (INCR). An entry
  records the version it was computed at and counts only while that is still current. The version is
  read *before* the tray is computed, so a slow request cannot store a tray older than the change.
- A followee posting a story does not touch its followers' entries: that would cost one write per
  follower (millions for a celebrity) on every story. The TTL (`PIXELRANK_STORY_TRAY_TTL_S`) bounds
  how late a new story shows up instead; the same goes for a follow request someone else approves.
- An entry also ends when its first story expires, both bounds measured by the request clock, so the
  tray never shows an expired story (and tests can move time).
Redis failing is never an error: reads fall through to the database, invalidations are best effort.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any

import redis
from fastapi import Depends, Request

log = logging.getLogger(__name__)

VERSION_TTL_S = 86_400  # must outlive every entry; after that a version may restart from scratch


@dataclass(frozen=True)
class Lookup:
    items: list[dict[str, Any]] | None  # None: a miss
    version: str  # pass back to `store`


class TrayCache:
    def __init__(self, client: redis.Redis, ttl_s: int, *, prefix: str = "stories:tray") -> None:
        self.client, self.ttl_s, self.prefix = client, ttl_s, prefix

    def lookup(self, viewer_id: int, now: datetime) -> Lookup:
        try:
            version, raw = self.client.mget([self._version_key(viewer_id), self._entry_key(viewer_id)])
        except redis.RedisError as error:
            log.warning("story tray cache unavailable: %s", error)
            return Lookup(None, "")
        version = str(int(version)) if version else "0"
        if raw is None:
            return Lookup(None, version)
        entry = json.loads(raw)
        fresh = datetime.fromisoformat(entry["from"]) <= now < datetime.fromisoformat(entry["until"])
        return Lookup(entry["items"] if fresh and entry["version"] == version else None, version)

    def store(
        self, viewer_id: int, lookup: Lookup, items: list[dict[str, Any]], now: datetime, changes_at: datetime | None
    ) -> None:
        if self.ttl_s <= 0 or not lookup.version:
            return
        until = now + timedelta(seconds=self.ttl_s)
        until = min(until, changes_at) if changes_at else until
        entry = {"version": lookup.version, "from": now.isoformat(), "until": until.isoformat(), "items": items}
        try:
            self.client.set(self._entry_key(viewer_id), json.dumps(entry), ex=self.ttl_s)
        except redis.RedisError as error:
            log.warning("story tray cache unavailable: %s", error)

    def invalidate(self, *viewer_ids: int) -> None:
        try:
            pipeline = self.client.pipeline(transaction=False)
            for viewer_id in viewer_ids:
                pipeline.incr(self._version_key(viewer_id))
                pipeline.expire(self._version_key(viewer_id), VERSION_TTL_S)
            pipeline.execute()
        except redis.RedisError as error:
            log.warning("story tray cache not invalidated for %s: %s", viewer_ids, error)

    def _entry_key(self, viewer_id: int) -> str:
        return f"{self.prefix}:{viewer_id}"

    def _version_key(self, viewer_id: int) -> str:
        return f"{self.prefix}:{viewer_id}:version"


async def get_tray_cache(request: Request) -> TrayCache:  # no I/O: no thread hop (see serving.deps)
    return TrayCache(request.app.state.redis, request.app.state.settings.story_tray_ttl_s)


TrayCacheDep = Annotated[TrayCache, Depends(get_tray_cache)]

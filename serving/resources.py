"""Connections to the outside services, real or embedded."""

from __future__ import annotations

import fakeredis
import redis


def open_redis(url: str | None) -> redis.Redis:
    """Redis at `url`, or an in-process fake Redis when none is configured (the embedded default)."""
    if url:
        return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
    return fakeredis.FakeRedis()

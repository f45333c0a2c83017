"""cProfile of uncached feed rankings, in process, on the benchmark's world (`benchmarks/feed.py --profile`).

The same objects the server builds (`build_feed_stack` from `Settings` read from the world's
environment), the same `rank` call the page server makes for a first page, on users the load never
served. The first ranking (model and store loading) is run unprofiled; the profile covers the next
`runs` rankings, each a different user, and the top functions by own and cumulative time are returned.
"""

from __future__ import annotations

import cProfile
import io
import os
import pstats
from datetime import UTC, datetime
from typing import Any

from candidates.two_tower.runtime import TwoTowerRuntime
from serving.feed.assembly import build_feed_stack
from serving.feed.rank import rank
from serving.resources import open_redis
from serving.settings import Settings
from social_core.db import make_engine


def profile_uncached(env: dict[str, str], users: list[int], top: int = 25) -> dict[str, Any]:
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in env.items() if k.startswith(("PIXELRANK_", "REDIS_URL"))})
    try:
        settings = Settings()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    engine = make_engine(settings.db_url)
    redis = open_redis(settings.redis_url)
    stack = build_feed_stack(settings, engine, redis, TwoTowerRuntime.latest(settings.home))
    try:
        now = datetime.now(UTC)
        rank(stack, "feed", users[0], now, depth=stack.depth)  # loads the champion and opens the store
        profiler = cProfile.Profile()
        profiler.enable()
        for user in users[1:]:
            result = rank(stack, "feed", user, now, depth=stack.depth).result
        profiler.disable()
    finally:
        stack.close()
        engine.dispose()
    report: dict[str, Any] = {"runs": len(users) - 1, "stages_ms_last_run": {}}
    for stage in result.stages:
        report["stages_ms_last_run"][f"{stage.kind}:{stage.name}"] = stage.seconds * 1000
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).strip_dirs().sort_stats(order).print_stats(top)
        report[order] = text.getvalue()
    return report

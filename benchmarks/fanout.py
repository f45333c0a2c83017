"""Fan-out of one post to 10,000 followers' feed sets in a real Redis: pipelined against one round trip each.

    python benchmarks/fanout.py [--quick] [--json OUT] [--redis-url URL]

Redis: --redis-url, else REDIS_URL, else redis://127.0.0.1:6379/15. Only this run's keys are
touched (user ids from a high random base) and they are deleted at the end. The reference, in the
same run, sends the same commands (ZADD + ZREMRANGEBYRANK per follower) without a pipeline.
`fan_out` is measured pipelined and as a Lua script (one EVALSHA per chunk of followers).
Target: <= 100 ms to fan a post out to 10,000 followers.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import time
from pathlib import Path
from typing import Any

import redis as redis_lib
from rich.console import Console
from rich.table import Table

from candidates.fanout import FanoutConfig, fan_out, feed_key, posts_key

FOLLOWERS = 10_000


def unpipelined(client: Any, post_id: int, created: float, followers: list[int], cap: int) -> None:
    for follower in followers:
        client.zadd(feed_key(follower), {str(post_id): created})
        client.zremrangebyrank(feed_key(follower), 0, -cap - 1)


def measure(label: str, run: Any, repeats: int, followers: int) -> dict[str, Any]:
    times = []
    for r in range(repeats):
        started = time.perf_counter()
        run(r)
        times.append(time.perf_counter() - started)
    ms = statistics.median(times) * 1000
    return {"path": label, "followers": followers, "ms/post": ms, "inserts/s": followers / ms * 1000}


def run(client: Any, base: int, followers: int, repeats: int) -> list[dict[str, Any]]:
    fans = [base + i for i in range(1, followers + 1)]
    config = FanoutConfig()
    rows = [
        measure(
            "unpipelined (reference)",
            lambda r: unpipelined(client, 100 + r, 1e9 + r, fans, config.feed_cap),
            max(1, repeats // 2),
            followers,
        )
    ]
    for method, chunk in (("pipeline", 2_000), ("pipeline", 10_000), ("lua", 1_000), ("lua", 10_000)):
        chunked = FanoutConfig(chunk=chunk, method=method)  # type: ignore[arg-type]
        rows.append(
            measure(
                f"fan_out {method}, chunk {chunk}",
                lambda r, c=chunked: fan_out(client, 200 + r, base, 2e9 + r, fans, False, c),
                repeats,
                followers,
            )
        )
    for row in rows:
        row["speed-up"] = rows[0]["ms/post"] / row["ms/post"]
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15"))
    args = parser.parse_args()
    client = redis_lib.Redis.from_url(args.redis_url)
    base = 9 * 10**15 + secrets.randbelow(10**6) * 10**5
    try:
        rows = run(client, base, FOLLOWERS, 3 if args.quick else 7)
    finally:
        keys = [feed_key(base + i) for i in range(1, FOLLOWERS + 1)] + [posts_key(base)]
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    out = Table(title=f"fan-out of one post to {FOLLOWERS:,} followers ({args.redis_url})")
    for column in rows[0]:
        out.add_column(column, justify="left" if column == "path" else "right")
    for row in rows:
        out.add_row(*(f"{v:,.1f}" if isinstance(v, float) else str(v) for v in row.values()))
    Console().print(out)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"redis_url": args.redis_url, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()

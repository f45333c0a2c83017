"""Online hydration for the ranker: stock `FeatureStore.get_online_features` vs `Hydrator`.

    python benchmarks/hydration.py [--quick] [--json OUT] [--redis-url URL]

A seeded world (simulated users, posts, sessions) is built, applied and materialized into the
Redis online store (`--redis-url`, default $REDIS_URL; without one the embedded SQLite online
store, said in the title). For N = 50, 500, 1,000 candidates, both paths are timed on the same
keys (p50 / p95 over repeats) and checked equal; the ratio is stock / hydrate. Every repeat is a
different viewer (as in serving: the viewer's row and the viewer×author rows are never cached,
the candidates' post and author rows are shared between viewers). `hydrate` is the default config
(user/author rows cached 5 s, post counters 1 s, post content 10 min); `fresh` reads every post
counter and viewer×author row from Redis on every call (`counter_ttl_s=0`); `no cache` reads
everything on every call (`cache_ttl_s=0`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import text  # noqa: E402

from features.batch.pipeline import BatchConfig, build_features  # noqa: E402
from features.hydrate import Hydrator, HydratorConfig  # noqa: E402
from features.materialize import materialize  # noqa: E402
from features.stock import stock_features  # noqa: E402
from features.store import FeatureStoreConfig, apply, open_store  # noqa: E402
from social_core.db import make_engine  # noqa: E402
from social_core.migrate import upgrade  # noqa: E402
from training.simulation.seeding import seed_world  # noqa: E402
from training.simulation.sessions import SessionConfig, run_sessions  # noqa: E402
from training.simulation.world import WorldConfig  # noqa: E402


def timed(fn, users: list[int], repeats: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """p50 / p95 ms of `fn(user)` over `repeats` calls, a different viewer each time."""
    fn(users[-1])  # warm: connections, scripts, the shared post/author rows
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        fn(users[i % len(users)])
        times.append(time.perf_counter() - started)
    return float(np.percentile(times, 50) * 1000), float(np.percentile(times, 95) * 1000)


def drop_redis_project(redis_url: str, project: str) -> None:
    """Delete only this run's keys (Feast appends the project to every key); never FLUSHALL."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{project}".encode(), count=1000))
    for start in range(0, len(keys), 1000):
        client.delete(*keys[start : start + 1000])
    client.close()


def measure(store: Any, engine: Any, report: Any, quick: bool, kind: str) -> tuple[Table, list[dict[str, Any]]]:
    """The table and JSON rows: stock vs the hydrator configs for N = 50, 500, 1,000 candidates."""
    with engine.connect() as conn:
        posts = conn.execute(text("SELECT id, author_id FROM posts ORDER BY id DESC LIMIT 1000")).all()
        users = [int(u) for (u,) in conn.execute(text("SELECT DISTINCT actor_id FROM events WHERE type='impression'"))]
    hydrators = {
        "hydrate": Hydrator.from_store(store),
        "fresh": Hydrator.from_store(store, HydratorConfig(counter_ttl_s=0)),
        "no cache": Hydrator.from_store(store, HydratorConfig(cache_ttl_s=0)),
    }
    now = report.as_of.timestamp() + 60  # type: ignore[union-attr]
    table = Table(
        "candidates",
        "stock p50 ms",
        "stock p95 ms",
        *(f"{name} p50 ms" for name in hydrators),
        "hydrate p95 ms",
        *(f"speed-up ({name})" for name in hydrators),
        title=f"ranker_v1 hydration (ms), {kind} online store, {report.events:,} events, {len(users):,} viewers",
    )
    results = []
    for n in (50, 500, 1_000):
        ids, authors = [int(p) for p, _ in posts[:n]], [int(a) for _, a in posts[:n]]
        for hydrator in hydrators.values():
            for user in users[:3]:
                expected = stock_features(store, "ranker_v1", user, ids, authors, now)
                assert np.array_equal(hydrator(user, ids, authors, now), expected)
        stock = timed(
            lambda u, ids=ids, authors=authors: stock_features(store, "ranker_v1", u, ids, authors, now),
            users,
            5 if quick else 15,
        )
        fast = {
            name: timed(lambda u, h=h, ids=ids, authors=authors: h(u, ids, authors, now), users, 50 if quick else 200)
            for name, h in hydrators.items()
        }
        table.add_row(
            str(n),
            f"{stock[0]:.1f}",
            f"{stock[1]:.1f}",
            *(f"{p50:.2f}" for p50, _ in fast.values()),
            f"{fast['hydrate'][1]:.2f}",
            *(f"{stock[0] / p50:.0f}×" for p50, _ in fast.values()),
        )
        row = {"n": n, "stock_p50_ms": stock[0], "stock_p95_ms": stock[1]}
        for name, (p50, p95) in fast.items():
            key = name.replace(" ", "_")
            row |= {f"{key}_p50_ms": p50, f"{key}_p95_ms": p95, f"{key}_ratio": stock[0] / p50}
        results.append(row)
    return table, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    args = parser.parse_args()
    console = Console(width=150)
    world = WorldConfig(users=1_000 if args.quick else 3_000, days=7, seed=0)
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
        upgrade(engine)
        seed_world(engine, home, world)
        run_sessions(engine, home, SessionConfig(sessions=2_000 if args.quick else 6_000, oracle_sessions=0))
        config = FeatureStoreConfig(home=home, redis_url=args.redis_url, project=f"bench{os.getpid()}")
        report = build_features(engine, BatchConfig(config.data_dir))
        store = open_store(config)
        kind = "Redis" if args.redis_url else "SQLite (no Redis URL given)"
        try:
            apply(store, config)
            materialize(store, report.as_of)  # type: ignore[arg-type]
            table, results = measure(store, engine, report, args.quick, kind)
        finally:
            if args.redis_url:
                drop_redis_project(args.redis_url, config.project)
            engine.dispose()
    console.print(table)
    load = os.getloadavg()
    console.print(f"machine load average (1/5/15 min) at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    if args.json:
        payload = {"online_store": kind, "events": report.events, "load_average": load, "results": results}
        args.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()

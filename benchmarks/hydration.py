"""Online hydration for the ranker: stock `FeatureStore.get_online_features` vs `Hydrator`.

    python benchmarks/hydration.py [--quick] [--json OUT] [--redis-url URL]

A seeded world (simulated users, posts, sessions) is built, applied and materialized into the
Redis online store (`--redis-url`, default $REDIS_URL; without one the embedded SQLite online
store, said in the title). For N = 50, 500, 1,000 candidates of one user, both paths are timed on
the same keys (p50 / p95 over repeats, warm caches) and checked equal; the ratio is stock / hydrate.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import text  # noqa: E402

from features.batch.pipeline import BatchConfig, build_features  # noqa: E402
from features.hydrate import Hydrator  # noqa: E402
from features.materialize import materialize  # noqa: E402
from features.stock import stock_features  # noqa: E402
from features.store import FeatureStoreConfig, apply, open_store  # noqa: E402
from social_core.db import make_engine  # noqa: E402
from social_core.migrate import upgrade  # noqa: E402
from training.simulation.seeding import seed_world  # noqa: E402
from training.simulation.sessions import SessionConfig, run_sessions  # noqa: E402
from training.simulation.world import WorldConfig  # noqa: E402


def timed(fn, repeats: int) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return float(np.percentile(times, 50) * 1000), float(np.percentile(times, 95) * 1000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"))
    args = parser.parse_args()
    console = Console()
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
        apply(store, config)
        materialize(store, report.as_of)  # type: ignore[arg-type]
        with engine.connect() as conn:
            posts = conn.execute(text("SELECT id, author_id FROM posts ORDER BY id DESC LIMIT 1000")).all()
            user = int(conn.execute(text("SELECT actor_id FROM events WHERE type='impression' LIMIT 1")).scalar())
        hydrator = Hydrator.from_store(store)
        now = report.as_of.timestamp() + 60  # type: ignore[union-attr]
        kind = "Redis" if args.redis_url else "SQLite (no Redis URL given)"
        table = Table(
            "candidates",
            "stock p50 ms",
            "stock p95 ms",
            "hydrate p50 ms",
            "hydrate p95 ms",
            "speed-up",
            title=f"ranker_v1 online hydration, {kind} online store, {report.events:,} events",
        )
        results = []
        for n in (50, 500, 1_000):
            ids, authors = [int(p) for p, _ in posts[:n]], [int(a) for _, a in posts[:n]]
            assert np.array_equal(
                hydrator(user, ids, authors, now), stock_features(store, "ranker_v1", user, ids, authors, now)
            )
            stock = timed(
                lambda ids=ids, authors=authors: stock_features(store, "ranker_v1", user, ids, authors, now),
                5 if args.quick else 15,
            )
            fast = timed(lambda ids=ids, authors=authors: hydrator(user, ids, authors, now), 50 if args.quick else 200)
            table.add_row(
                str(n),
                f"{stock[0]:.1f}",
                f"{stock[1]:.1f}",
                f"{fast[0]:.2f}",
                f"{fast[1]:.2f}",
                f"{stock[0] / fast[0]:.0f}×",
            )
            results.append(
                {
                    "n": n,
                    "stock_p50_ms": stock[0],
                    "stock_p95_ms": stock[1],
                    "hydrate_p50_ms": fast[0],
                    "hydrate_p95_ms": fast[1],
                    "ratio": stock[0] / fast[0],
                }
            )
        if args.redis_url:
            from tests.features.conftest import drop_redis_project

            drop_redis_project(args.redis_url, config.project)
        engine.dispose()
    console.print(table)
    if args.json:
        args.json.write_text(json.dumps({"online_store": kind, "events": report.events, "results": results}, indent=2))


if __name__ == "__main__":
    main()

"""Load benchmark of the ranked feed: `pixelrank serve --workers 2` under a loopback load, fast vs stock.

    python benchmarks/feed.py [--quick | --medium] [--json OUT] [--redis-url URL] [--previous COMMIT] [--profile]

World (benchmarks/feed_world.py): 10,000 users x 70 days (~210,000 posts), simulated sessions, features
built and materialized into the Redis online store, two-tower and LightGBM ranker trained (`pixelrank
train all`), all in a temporary PIXELRANK_HOME with a SQLite file database. --quick is a smoke run:
500 users x 40 days (~6,000 posts), fewer requests, one worker per server. Redis: --redis-url (default
redis://127.0.0.1:6379/5), a database that must be empty at the start: the run owns it, and empties it
(FLUSHDB of that database only) at the end.

Load (benchmarks/feed_wrk.py): wrk with benchmarks/feed.lua, a C client, each connection one closed
loop for a fixed time at a fixed concurrency, every request a different user's bearer token. Phases, per
server:
- `feed uncached`: page 1 of the home feed (ranked afresh, then cached), at rising concurrency until
  throughput stops rising; the best level is the throughput at saturation;
- `feed cached`: page 2 of those users' feeds one request at a time, then at higher concurrency (the
  cursor; served from the cached list);
- `explore`: page 1 of explore (ranked afresh).
Server side: the API's Prometheus histograms (request latency by route, pipeline stages, candidates per
source), scraped before and after each phase, and each process's CPU time; client side: wrk's latencies.

References, in the same run: the previous version (--previous, the last landed one before the current
step of "Ranking as columns"; 6d70b46 is the object-per-candidate pipeline before it all),
and the server restarted with PIXELRANK_FEATURE_READER=stock (every feature read is Feast's
`FeatureStore.get_online_features`) and PIXELRANK_COMPILED_TREES=false (every score is LightGBM's own
`Booster.predict`).
Targets: uncached feed p99 <= 50 ms with >= 500 candidates; cached page p99 <= 5 ms; >= 200
uncached feeds/s on 2 cores. The client shares the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path (benchmarks/features.py would shadow
# the `features` package); the repository root takes its place, for `benchmarks.feed_*`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import httpx  # noqa: E402
import redis as redis_lib  # noqa: E402
from rich.console import Console  # noqa: E402

from benchmarks.feed_load import (  # noqa: E402
    CANDIDATES,
    REQUESTS,
    STAGES,
    CpuMeter,
    Scrape,
    cpu_per_request,
    parse_metrics,
)
from benchmarks.feed_report import print_report  # noqa: E402
from benchmarks.feed_server import Server, previous_code, served  # noqa: E402
from benchmarks.feed_world import FULL, MEDIUM, QUICK, build_world, load_users  # noqa: E402
from benchmarks.feed_wrk import WRK, Pairs, WrkLoad, client_cpu_seconds, latest_per_token, run_wrk  # noqa: E402

PAGE = 20
READERS = ("fast", "previous", "stock")
# Sources still proposing one object per post and the page cache one JSON row per item (6d70b46: the
# object-per-candidate pipeline before "Ranking as columns" began, d4f5e05).
PREVIOUS = "a1da464"


def plan(quick: bool) -> dict[str, Any]:
    """Seconds of wrk per phase (each a fixed time at a fixed concurrency), and the users per reader."""
    if quick:  # a smoke run: one worker per server (a start is mostly imports, once per process)
        return {
            "levels": {1: 4, 4: 4},
            "cached": {1: 3, 8: 3},
            "explore": {4: 4},
            "warm_s": 3,
            "users_per_reader": 100,
            "workers": 1,
        }
    return {
        "levels": {1: 20, 2: 15, 4: 15, 8: 15, 16: 15},
        "cached": {1: 10, 8: 10},
        "explore": {1: 10, 4: 15},
        "warm_s": 8,
        "users_per_reader": 1000,
        "workers": 2,
    }


def phase(name: str, timed: Timed, route: str, pipeline: str | None) -> dict[str, Any]:
    """One phase's figures: client and server percentiles, throughput, CPU per request (and the throughput
    it leaves room for on this machine's cores), stages and candidates per ranking."""
    load, delta, cpu = timed.load, timed.delta, timed.cpu_ms
    server = delta.histogram(REQUESTS, route=route, status="2xx")
    stages = delta.by_label(STAGES, "stage", pipeline=pipeline) if pipeline else {}
    runs = max((h.count for h in stages.values()), default=0.0)
    candidates = delta.counter_sum(CANDIDATES, "source", pipeline=pipeline) if pipeline else {}
    return {
        "phase": name,
        "concurrency": load.concurrency,
        "requests": load.requests,
        "errors": load.requests - load.ok_count,
        "wrk_errors": load.errors,
        "seconds": load.wall_seconds,
        "requests_per_second": load.throughput,
        "cpu_ms_per_request": cpu,
        "cpu_bound_per_second": (os.cpu_count() or 1) * 1000 / cpu["total"] if cpu["total"] > 0 else None,
        "client_ms": {f"p{q}": load.client_ms(q / 100) for q in (50, 95, 99)},
        "server_ms": {f"p{q}": server.quantile(q / 100) * 1000 for q in (50, 95, 99)},
        "server_mean_ms": server.total / server.count * 1000 if server.count else None,
        "server_count": server.count,
        "rankings": runs,
        "candidates_per_ranking": {s: n / runs for s, n in candidates.items()} if runs else {},
        "stages_ms": {
            s: {"mean": h.total / h.count * 1000, "p99": h.quantile(0.99) * 1000, "total_s": h.total}
            for s, h in stages.items()
            if h.count
        },
        "scorers": {"lightgbm": load.lightgbm, "other": load.ok_count - load.lightgbm},
        "degraded": {"pages": load.degraded_count} if load.degraded_count else {},
    }


def measure(server: Server, redis: Any, tokens: list[str], spec: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """Every phase of one reader, one wrk run each; the users cycle from where the last phase stopped."""
    meter = CpuMeter(server.cpu_seconds, redis, client_cpu_seconds)
    first = Pairs([(t, "") for t in tokens])
    for path in ("/v1/feed", "/v1/explore"):  # loads models and stores in every worker
        run_wrk(server.url, path, first, 4, spec["warm_s"], folder / "warm", limit=PAGE)
    results, cursors, offset = [], [], len(tokens) // 2  # the warm-up's users come last again
    for concurrency, seconds in spec["levels"].items():
        timed = _timed(server, meter, "/v1/feed", first, concurrency, seconds, folder, offset)
        offset += timed.load.requests
        cursors += timed.load.cursors  # in time order, level by level: the last is the cached list's
        results.append(phase("feed uncached", timed, "/v1/feed", "feed"))
    pairs = latest_per_token(cursors)
    for page, (concurrency, seconds) in enumerate(spec["cached"].items(), start=2):  # c=1, then under load
        timed = _timed(server, meter, "/v1/feed", pairs, concurrency, seconds, folder, 0)
        results.append(phase(f"feed cached p{page}", timed, "/v1/feed", None) | _hits(timed.delta))
        pairs = latest_per_token(timed.load.cursors) if timed.load.cursors else pairs
    for concurrency, seconds in spec["explore"].items():
        timed = _timed(server, meter, "/v1/explore", first, concurrency, seconds, folder, offset)
        offset += timed.load.requests
        results.append(phase("explore", timed, "/v1/explore", "explore"))
    return results


@dataclass(frozen=True)
class Timed:
    load: WrkLoad
    delta: Scrape  # the server's metrics over the phase
    cpu_ms: dict[str, float]  # per request, by program (`cpu_per_request`)


def _timed(
    server: Server,
    meter: CpuMeter,
    path: str,
    pairs: Pairs,
    concurrency: int,
    seconds: float,
    folder: Path,
    offset: int,
) -> Timed:
    before = _scrape(server)
    cpu_before = meter.read()
    load = run_wrk(server.url, path, pairs, concurrency, seconds, folder / "wrk", offset=offset, limit=PAGE)
    cpu_ms = cpu_per_request(cpu_before, meter.read(), load.requests)
    return Timed(load, _scrape(server).minus(before), cpu_ms)


def _scrape(server: Server) -> Scrape:
    response = httpx.get(f"{server.url}/metrics", timeout=60)
    response.raise_for_status()
    return parse_metrics(response.text)


def _hits(delta: Scrape) -> dict[str, Any]:
    return {"feed_cache": delta.counter_sum("pixelrank_feed_cache", "result")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="500 users / ~6,000 posts, fewer requests, one worker: a few minutes"
    )
    parser.add_argument(
        "--medium", action="store_true", help="5,000 users / ~75,000 posts, the full load: when time is short"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/5", help="an EMPTY Redis database, emptied after"
    )
    parser.add_argument("--previous", default=PREVIOUS, help=f"the commit the previous reader runs [{PREVIOUS}]")
    parser.add_argument("--profile", action="store_true", help="also cProfile uncached rankings in process")
    args = parser.parse_args()
    console = Console(width=160)
    if not Path(WRK).exists():
        console.print(f"Error: no wrk at {WRK}: the load generator (apt-get install -y wrk)")
        raise SystemExit(1)
    client: Any = redis_lib.Redis.from_url(args.redis_url)
    if client.dbsize():
        console.print(f"Error: {args.redis_url} is not empty; pass --redis-url with an empty Redis database")
        raise SystemExit(1)
    try:
        with tempfile.TemporaryDirectory(prefix="pixelrank-feed-") as tmp:
            results = run(Path(tmp), args, console)
    finally:
        client.flushdb()  # this database only: it was empty, the run owned it
        client.close()
    print_report(console, results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")


def run(tmp: Path, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    size, spec = (QUICK if args.quick else MEDIUM if args.medium else FULL), plan(args.quick)
    console.print(f"building the world in {tmp} ({size.users:,} users x {size.days} days, SQLite, {args.redis_url})")
    world = build_world(tmp / "home", args.redis_url, size, console)
    previous = previous_code(args.previous, tmp)
    per_reader = spec["users_per_reader"]
    started = time.perf_counter()
    users = load_users(world, args.redis_url, per_reader * len(READERS) + (6 if args.profile else 0))
    console.print(f"  load users (logged in, feed sets built): {time.perf_counter() - started:.0f} s")
    results: dict[str, Any] = {
        "world": {"users": world.users, "posts": world.posts, "follows": world.follows, "database": "SQLite file"}
        | {"online_store": "Redis", "redis_url": args.redis_url, "build_seconds": world.build_seconds},
        "size": "quick" if args.quick else "medium" if args.medium else "full",
        "plan": spec,
        "page_size": PAGE,
        "workers": spec["workers"],
        "cpus": os.cpu_count(),
        "client": "wrk (benchmarks/feed.lua), one connection per thread, every request a different user's token",
        "readers_are": {
            "fast": "this commit: fast feature reader, compiled trees (PIXELRANK_FEATURE_READER=fast)",
            "previous": f"commit {args.previous}'s code (git archive), same settings, same world and Redis",
            "stock": "this commit: Feast get_online_features, stock LightGBM Booster.predict",
        },
        "load_average": {},
        "readers": {},
    }
    console.print(f"starting a server per path ({', '.join(READERS)}; previous: {args.previous})")
    started = time.perf_counter()
    redis = redis_lib.Redis.from_url(args.redis_url)
    with (
        served(world.env, READERS, tmp, workers=spec["workers"], previous=previous) as servers,
        contextlib.closing(redis),
    ):
        console.print(f"  servers ready and settled: {time.perf_counter() - started:.0f} s")
        for i, reader in enumerate(READERS):
            tokens = [token for _, token in users[i * per_reader : (i + 1) * per_reader]]
            results["load_average"][f"before {reader}"] = os.getloadavg()
            console.print(f"measuring {reader}")
            started = time.perf_counter()
            results["readers"][reader] = measure(servers[reader], redis, tokens, spec, tmp / f"load-{reader}")
            results.setdefault("memory_mib", {})[reader] = servers[reader].rss_mib()
            console.print(f"  measured: {time.perf_counter() - started:.0f} s")
            results["load_average"][f"after {reader}"] = os.getloadavg()
    if args.profile:
        from benchmarks.feed_profile import profile_uncached

        results["profile"] = profile_uncached(world.env, [user for user, _ in users[-6:]])
    return results


if __name__ == "__main__":
    main()

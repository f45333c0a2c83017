"""Seed a world and simulate feed sessions until the outbox holds a target number of events.

    python benchmarks/simulation.py [--quick] [--json OUT] [--users N] [--days D] [--events E]

Prints (1) the seed + sessions timing (SQLite file database; target: 10,000 users x 30 days and
1,000,000 events in 3 minutes on 2 cores), (2) the bulk writer against the
reference path, the same events inserted one ORM object per transaction as the services write them
(and one ORM object at a time in a single transaction), on a sample, and (3) the policies
chronological / popular / oracle on the same session users and times, each on a copy of the seeded
database.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from social_core.db import make_engine
from social_core.migrate import upgrade
from social_core.models import Event
from training.bulk import insert_chunks
from training.simulation.report import seed_table, sessions_table
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.world import WorldConfig

EVENTS_PER_SESSION = 5.5  # a little under the observed ~5.8, so the target is reached in one run
COLUMNS = ("type", "actor_id", "post_id", "target_id", "payload", "created_at")


def main() -> None:
    args = parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="pixelrank-sim-") as tmp:
        results = run(Path(tmp), args, console)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 users x 7 days, 100k events, small comparisons")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--users", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--events", type=int, help="total outbox events to reach (seed + sessions)")
    parser.add_argument("--compare-sessions", type=int, help="sessions per policy in the policy comparison")
    parser.add_argument("--sample", type=int, help="events in the bulk-vs-ORM sample")
    args = parser.parse_args()
    quick = {"users": 1_000, "days": 7, "events": 100_000, "compare_sessions": 2_000, "sample": 1_000}
    full = {"users": 10_000, "days": 30, "events": 1_000_000, "compare_sessions": 10_000, "sample": 3_000}
    for name, value in (quick if args.quick else full).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def run(tmp: Path, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    home = tmp / "home"
    home.mkdir()
    engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
    upgrade(engine)
    cpu = time.process_time()
    seeded = seed_world(engine, home, WorldConfig(users=args.users, days=args.days, seed=0))
    seed_cpu, cpu = time.process_time() - cpu, time.process_time()
    engine.dispose()
    snapshot = tmp / "seeded"
    shutil.copytree(home, snapshot)
    console.print(seed_table(seeded))

    engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
    sessions, session_events, session_seconds, rate = 0, 0, 0.0, EVENTS_PER_SESSION
    while seeded.events + session_events < args.events:  # one run, unless the world yields fewer events
        n = max(1, math.ceil((args.events - seeded.events - session_events) / rate))
        played = run_sessions(engine, home, SessionConfig(sessions=n, policy="chronological", seed=sessions))
        sessions, session_events = sessions + n, session_events + played.events
        session_seconds += played.seconds
        rate = 0.98 * session_events / sessions
    total_events = seeded.events + session_events
    timing = {
        "users": args.users,
        "days": args.days,
        "seed_seconds": seeded.seconds,
        "seed_events": seeded.events,
        "seed_cpu_seconds": seed_cpu,
        "session_cpu_seconds": time.process_time() - cpu,
        "sessions": sessions,
        "session_seconds": session_seconds,
        "session_events": session_events,
        "total_events": total_events,
        "total_seconds": seeded.seconds + session_seconds,
        "events_per_second": total_events / (seeded.seconds + session_seconds),
    }
    console.print(_timing_table(timing))
    writers = compare_writers(engine, tmp, args.sample)
    engine.dispose()
    console.print(_writers_table(writers))
    policies = compare_policies(snapshot, tmp, args.compare_sessions)
    console.print(sessions_table(policies))
    return {"timing": timing, "writers": writers, "policies": [report.as_dict() for report in policies]}


def compare_writers(source: Any, tmp: Path, sample: int) -> dict[str, dict[str, float]]:
    """The last `sample` session events, written again into empty databases three ways."""
    with source.connect() as conn:
        query = select(*(getattr(Event, c) for c in COLUMNS)).order_by(Event.id.desc()).limit(sample)
        rows = [dict(zip(COLUMNS, row, strict=True)) | {"processed_at": None} for row in conn.execute(query)]
    results: dict[str, dict[str, float]] = {}
    for name, write in (
        ("bulk Core insert (this writer)", _bulk),
        ("ORM, one object per commit", _orm_commit_each),
        ("ORM, one object at a time, one commit", _orm_one_commit),
    ):
        engine = make_engine(f"sqlite:///{tmp / (name.split()[0] + str(len(results)) + '.db')}")
        upgrade(engine)
        started = time.perf_counter()
        write(engine, rows)
        seconds = time.perf_counter() - started
        engine.dispose()
        results[name] = {"events": len(rows), "seconds": seconds, "events_per_second": len(rows) / seconds}
    return results


def compare_policies(snapshot: Path, tmp: Path, sessions: int) -> list[Any]:
    reports = []
    for policy in ("chronological", "popular", "oracle"):
        home = tmp / f"policy-{policy}"
        shutil.copytree(snapshot, home)
        engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
        config = SessionConfig(sessions=sessions, policy=policy, seed=1, oracle_sessions=min(sessions, 1_000))
        reports.append(run_sessions(engine, home, config))
        engine.dispose()
        shutil.rmtree(home)
    return reports


def _bulk(engine: Any, rows: list[dict[str, Any]]) -> None:
    with engine.begin() as conn:
        insert_chunks(conn, Event, rows)


def _orm_commit_each(engine: Any, rows: list[dict[str, Any]]) -> None:
    with Session(engine) as session:
        for row in rows:
            session.add(Event(**row))
            session.commit()


def _orm_one_commit(engine: Any, rows: list[dict[str, Any]]) -> None:
    with Session(engine) as session:
        for row in rows:
            session.add(Event(**row))
            session.flush()
        session.commit()


def _timing_table(timing: dict[str, Any]) -> Table:
    table = Table(title=f"seed {timing['users']:,} users x {timing['days']} days, then chronological sessions")
    table.add_column("step")
    for column in ("wall s", "CPU s", "events", "events/s"):
        table.add_column(column, justify="right")
    table.add_row(
        "seed",
        f"{timing['seed_seconds']:.1f}",
        f"{timing['seed_cpu_seconds']:.1f}",
        f"{timing['seed_events']:,}",
        f"{timing['seed_events'] / timing['seed_seconds']:,.0f}",
    )
    table.add_row(
        f"{timing['sessions']:,} sessions",
        f"{timing['session_seconds']:.1f}",
        f"{timing['session_cpu_seconds']:.1f}",
        f"{timing['session_events']:,}",
        f"{timing['session_events'] / timing['session_seconds']:,.0f}",
    )
    cpu = timing["seed_cpu_seconds"] + timing["session_cpu_seconds"]
    table.add_row(
        "total",
        f"{timing['total_seconds']:.1f}",
        f"{cpu:.1f}",
        f"{timing['total_events']:,}",
        f"{timing['events_per_second']:,.0f}",
    )
    table.caption = "CPU s: this process's CPU time; wall time above it means the machine was busy"
    return table


def _writers_table(results: dict[str, dict[str, float]]) -> Table:
    table = Table(title="writing the same session events (SQLite file)")
    table.add_column("path")
    for column in ("events", "seconds", "events/s", "vs bulk"):
        table.add_column(column, justify="right")
    bulk = next(iter(results.values()))["events_per_second"]
    for name, r in results.items():
        table.add_row(
            name,
            f"{r['events']:,.0f}",
            f"{r['seconds']:.2f}",
            f"{r['events_per_second']:,.0f}",
            f"{r['events_per_second'] / bulk:.3f}x",
        )
    return table


if __name__ == "__main__":
    main()

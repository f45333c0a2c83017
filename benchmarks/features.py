"""The batch feature pipeline's throughput: outbox events → the five views' parquet, events per second.

    python benchmarks/features.py [--quick] [--json OUT] [--events N]

A synthetic outbox (N events: impressions, likes, comments, saves, hides, shares, follows, posts,
users; default 1,000,000, --quick 100,000) is written to a SQLite file, then `build_features` runs
end to end (read from the database with SQLAlchemy, aggregate, write parquet). The reference, in
the same run, is a naive per-event Python loop (each event rescans its key's history for every
window) on a sample of the same events; the table gives both rates and the ratio.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and `features` would be this module.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from features.batch.events import load_events  # noqa: E402
from features.batch.pipeline import BatchConfig, build_features  # noqa: E402
from social_core.db import make_engine  # noqa: E402
from social_core.migrate import upgrade  # noqa: E402

KINDS = (
    ["impression"] * 80 + ["like"] * 8 + ["comment", "save", "share", "hide"] + ["follow"] * 3 + ["post_created"] * 3
)
WINDOWS = {"1d": 86_400_000, "7d": 7 * 86_400_000, "28d": 28 * 86_400_000}


def synthetic_outbox(path: Path, n: int, seed: int = 0) -> None:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    rng = np.random.default_rng(seed)
    users, posts = max(n // 100, 100), max(n // 30, 100)
    kinds = rng.choice(np.array(KINDS), n)
    start = np.datetime64("2026-01-01T00:00:00", "ms").astype(np.int64)
    ts = np.sort(start + rng.integers(0, 30 * 86_400_000, n))
    stamps = np.datetime_as_string(ts.astype("datetime64[ms]"), unit="us")
    actors = rng.integers(1, users + 1, n)
    post_ids = rng.integers(1, posts + 1, n)
    targets = (post_ids % users) + 1
    rows = (
        (
            str(k),
            int(a),
            None if k == "follow" else int(p),
            int(t),
            "{}" if k != "post_created" else '{"hashtags": ["a"]}',
            s.replace("T", " "),
        )
        for k, a, p, t, s in zip(kinds, actors, post_ids, targets, stamps, strict=True)
    )
    conn = sqlite3.connect(path)
    conn.executemany(
        "INSERT INTO events (type, actor_id, post_id, target_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?)", rows
    )
    conn.commit()
    conn.close()


def naive(events: list[tuple[str, int, int, int]]) -> int:
    """Per event, per window: rescan the user's history (the loop a first version would write).
    Only the user view, on every event of a sample of users (full histories, so the same work per
    event as on the whole outbox)."""
    history: dict[int, list[tuple[int, str]]] = defaultdict(list)
    rows = 0
    for kind, actor, _post, ts in events:
        history[actor].append((ts, kind))
        for window in WINDOWS.values():
            counts: dict[str, int] = defaultdict(int)
            for at, k in history[actor]:
                if at > ts - window:
                    counts[k] += 1
        rows += 1
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100,000 events instead of 1,000,000")
    parser.add_argument("--events", type=int, default=None)
    parser.add_argument("--sample", type=int, default=50, help="every Nth user's events for the naive reference")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    n = args.events or (100_000 if args.quick else 1_000_000)
    console = Console()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "outbox.db"
        started = time.perf_counter()
        synthetic_outbox(db, n)
        console.print(f"wrote {n:,} synthetic events in {time.perf_counter() - started:.1f} s")
        engine = make_engine(f"sqlite:///{db}")
        report = build_features(engine, BatchConfig(Path(tmp) / "data"))
        frame = load_events(engine).frame
        frame = frame[frame["actor_id"] % args.sample == 0]
        engine.dispose()
    sample = list(zip(frame["type"].astype(str), frame["actor_id"], frame["post_id"], frame["ts_ms"], strict=True))
    started = time.perf_counter()
    naive(sample)
    naive_s = time.perf_counter() - started
    naive_rate = len(sample) / naive_s
    table = Table("path", "events", "seconds", "events/s", "vs naive", title="batch features (2 cores, SQLite)")
    table.add_row(
        "naive per-event loop (user view, 1/N users)",
        f"{len(sample):,}",
        f"{naive_s:.2f}",
        f"{naive_rate:,.0f}",
        "1.0×",
    )
    table.add_row("build_features: read", f"{report.events:,}", f"{report.load_seconds:.2f}", "", "")
    table.add_row("build_features: aggregate + parquet", "", f"{report.compute_seconds:.2f}", "", "")
    table.add_row(
        "build_features: total",
        f"{report.events:,}",
        f"{report.seconds:.2f}",
        f"{report.events_per_second:,.0f}",
        f"{report.events_per_second / naive_rate:,.1f}×",
    )
    console.print(table)
    result = {
        "events": report.events,
        "seconds": report.seconds,
        "load_seconds": report.load_seconds,
        "events_per_second": report.events_per_second,
        "rows": report.rows,
        "naive_sample": len(sample),
        "naive_events_per_second": naive_rate,
        "ratio": report.events_per_second / naive_rate,
    }
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()

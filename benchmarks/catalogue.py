"""Memory and speed of the in-process post catalogue (`features.catalogue.PostCatalogue`) at 200k and 1M posts.

    python benchmarks/catalogue.py [--quick] [--json OUT]

For each size a SQLite database is built (the migrations, then users and posts bulk-inserted with
SQLAlchemy Core `insert(...)` executemany; 5 posts per user, 5% private accounts, 1% deleted posts),
and a fresh child process (so that one size's freed memory does not hide the next one's) loads
`PostCatalogue(engine)` and reports: its `nbytes`, the process RSS growth over the load (psutil; the
SQLite page cache of the load's reads included) and the peak RSS, the load time, and the time of
`facts()` for 750 random post ids. It then fills the post and author feature tables as rankings
would, whole (`feature_rows(view, width)` + `put` of every id: post_stats, post_content, author_stats),
and reports their bytes and the RSS growth.

Reference, in the same run on the same ids: the previous design's per-request facts read, one SQL
query per ranking (`select Post.id, Post.author_id, deleted, User.is_private, User.username ... where
Post.id in ids`, the ids bound as one value by `social_core.id_list.in_ids`).

The catalogue lives in each worker process (not in shared memory yet): `serve --workers 2` holds two.
--quick: 20k and 100k posts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path (benchmarks/features.py would shadow
# the `features` package); the repository root takes its place.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import numpy as np  # noqa: E402
import psutil  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

from social_core.db import make_engine  # noqa: E402
from social_core.id_list import in_ids  # noqa: E402
from social_core.migrate import upgrade  # noqa: E402
from social_core.models import Post, User  # noqa: E402

POSTS_PER_USER = 5
ASKED = 750  # ids per facts() call: a ranking's candidates
REPEATS = 30  # facts() calls timed per size, each a different random set
CHUNK = 50_000
FEATURE_VIEWS = ("post_stats", "post_content", "author_stats")


def build(path: Path, posts: int, seed: int = 0) -> float:
    """A SQLite database with `posts` posts by `posts / POSTS_PER_USER` users; seconds taken."""
    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    rng = np.random.default_rng(seed)
    users = max(posts // POSTS_PER_USER, 1)
    start = datetime.now(UTC) - timedelta(days=70)
    private = rng.random(users) < 0.05
    with engine.begin() as conn:
        for lo in range(0, users, CHUNK):
            conn.execute(
                insert(User),
                [
                    {
                        "id": i + 1,
                        "username": f"u{i}",
                        "email": f"u{i}@bench.invalid",
                        "password_hash": "x",
                        "is_private": bool(private[i]),
                        "created_at": start,
                    }
                    for i in range(lo, min(lo + CHUNK, users))
                ],
            )
        authors = rng.integers(1, users + 1, size=posts)
        deleted = rng.random(posts) < 0.01
        seconds = np.sort(rng.uniform(0, 70 * 86_400, size=posts))
        for lo in range(0, posts, CHUNK):
            rows = []
            for i in range(lo, min(lo + CHUNK, posts)):
                created = start + timedelta(seconds=float(seconds[i]))
                rows.append(
                    {
                        "id": (1 << 40) + i * 4096,  # time-sortable, as snowflakes are
                        "author_id": int(authors[i]),
                        "caption": "",
                        "created_at": created,
                        "deleted_at": created if deleted[i] else None,
                    }
                )
            conn.execute(insert(Post), rows)
    engine.dispose()
    return time.perf_counter() - started


def _rss() -> int:
    return int(psutil.Process().memory_info().rss)


def child(path: Path) -> dict[str, Any]:
    """Measured in its own process: the catalogue's load, memory and facts() against the SQL read."""
    from features.catalogue import PostCatalogue
    from features.schema import VIEWS

    engine = make_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        ids = np.array(conn.scalars(select(Post.id)).all(), dtype=np.int64)
    rng = np.random.default_rng(1)
    asked = [rng.choice(ids, size=ASKED, replace=False) for _ in range(REPEATS)]
    engine.dispose()
    engine = make_engine(f"sqlite:///{path}")
    del ids
    before = _rss()
    started = time.perf_counter()
    catalogue = PostCatalogue(engine)
    load_s = time.perf_counter() - started
    after = _rss()
    facts = []
    for chosen in asked:
        started = time.perf_counter()
        catalogue.facts(chosen)
        facts.append(time.perf_counter() - started)
    sql = _sql_reference(engine, asked)
    tables: dict[str, Any] = {}
    filled_before = _rss()
    widths = {"post_content": 4} | {view: len(VIEWS[view][1]) for view in ("post_stats", "author_stats")}
    for view in FEATURE_VIEWS:
        table = catalogue.feature_rows(view, widths[view])
        keys = catalogue.ids if table.entity == "post" else catalogue.user_ids
        table.put(keys, np.random.default_rng(2).random((len(keys), widths[view])))
        tables[view] = {"rows": len(keys), "width": widths[view], "nbytes": table.values.nbytes + table.loaded.nbytes}
    filled_after = _rss()
    return {
        "posts": len(catalogue),
        "users": len(catalogue.user_ids),
        "load_s": load_s,
        "nbytes": catalogue.nbytes,
        "rss_growth": after - before,
        "rss_peak": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "rss_after": filled_after,
        "facts_ms": _stats(facts),
        "sql_facts_ms": _stats(sql),
        "feature_tables": tables,
        "feature_tables_nbytes": sum(t["nbytes"] for t in tables.values()),
        "feature_tables_rss_growth": filled_after - filled_before,
    }


def _sql_reference(engine: Engine, asked: list[np.ndarray]) -> list[float]:
    """The previous design: one query per ranking for its candidates' facts."""
    query = (
        select(Post.id, Post.author_id, Post.deleted_at.is_not(None), User.is_private, User.username)
        .join(User, User.id == Post.author_id)
        .where(in_ids(Post.id, "ids"))
    )
    times = []
    with engine.connect() as conn:
        conn.execute(query, {"ids": asked[0].tolist()}).all()  # compiled and cached once, as in a server
        for chosen in asked:
            started = time.perf_counter()
            conn.execute(query, {"ids": chosen.tolist()}).all()
            times.append(time.perf_counter() - started)
    return times


def _stats(seconds: list[float]) -> dict[str, float]:
    ms = sorted(s * 1000 for s in seconds)
    return {"p50": statistics.median(ms), "p95": ms[int(0.95 * (len(ms) - 1))], "mean": statistics.fmean(ms)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20k and 100k posts")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)  # one size, measured in its own process
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return
    console = Console(width=160)
    sizes = (20_000, 100_000) if args.quick else (200_000, 1_000_000)
    results: dict[str, Any] = {"sizes": {}, "asked": ASKED, "repeats": REPEATS, "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="pixelrank-catalogue-") as tmp:
        for posts in sizes:
            path = Path(tmp) / f"posts-{posts}.db"
            build_s = build(path, posts)
            console.print(f"built {posts:,} posts in {build_s:.0f} s")
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(path)], capture_output=True, text=True, check=True
            )
            results["sizes"][str(posts)] = json.loads(done.stdout.strip().splitlines()[-1]) | {"build_s": build_s}
    results["load_average"] = os.getloadavg()
    report(console, results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def report(console: Console, results: dict[str, Any]) -> None:
    mib = 2**20
    table = Table(title="post catalogue per worker process (SQLite database; every worker holds its own copy)")
    for column in ("posts", "users", "load s", "nbytes MiB", "RSS +MiB", "peak RSS MiB", "features MiB"):
        table.add_column(column, justify="right")
    for column in ("features RSS +MiB", "facts p50 ms", "facts p95 ms", "SQL p50 ms", "SQL p95 ms", "SQL / facts"):
        table.add_column(column, justify="right")
    for size in results["sizes"].values():
        facts, sql = size["facts_ms"], size["sql_facts_ms"]
        table.add_row(
            f"{size['posts']:,}",
            f"{size['users']:,}",
            f"{size['load_s']:.1f}",
            f"{size['nbytes'] / mib:.1f}",
            f"{size['rss_growth'] / mib:.1f}",
            f"{size['rss_peak'] / mib:.0f}",
            f"{size['feature_tables_nbytes'] / mib:.1f}",
            f"{size['feature_tables_rss_growth'] / mib:.1f}",
            f"{facts['p50']:.3f}",
            f"{facts['p95']:.3f}",
            f"{sql['p50']:.2f}",
            f"{sql['p95']:.2f}",
            f"{sql['p50'] / facts['p50']:.0f}x",
        )
    table.caption = (
        f"facts(): {results['asked']} random ids, {results['repeats']} sets; SQL: the previous design's per-ranking "
        "query of the same ids (in_ids); features: post_stats, post_content, author_stats filled for every id"
    )
    console.print(table)
    console.print("feature tables at full size (bytes of values + load times):")
    for posts, size in results["sizes"].items():
        parts = ", ".join(
            f"{view} {t['rows']:,} x {t['width']} = {t['nbytes'] / mib:.1f} MiB"
            for view, t in size["feature_tables"].items()
        )
        console.print(f"  {int(posts):,} posts: {parts}")
    console.print(
        "The catalogue is per worker process, not shared memory yet: serve --workers 2 holds it twice. "
        f"Machine load average (1/5/15 min) {'/'.join(f'{v:.2f}' for v in results['load_average'])}"
    )


if __name__ == "__main__":
    main()

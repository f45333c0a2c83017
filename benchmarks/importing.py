"""`pixelrank import` on real data (MovieLens ml-latest-small by default): wall time and rows per second.

    python benchmarks/importing.py [--json OUT] [--data PATH] [--format csv|movielens] [--db-url URL]

The data is read where it lies (never copied); the database is a fresh SQLite file in a temporary
folder unless --db-url names an empty, migrated-or-not database. The reference, in the same run and
on the same backend, is the stock bulk path: `pandas.DataFrame.to_sql` of the raw interactions into a
scratch table (no accounts, posts, counters or events: a floor, not a competitor).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sqlalchemy import text

from social_core import migrate
from social_core.db import make_engine
from training.evaluation.data import FORMATS, load_interactions
from training.importing import import_dataset

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "datasets" / "ml-latest-small" / "ratings.csv"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, dest="json_out", help="write the results here")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="interactions file")
    parser.add_argument("--format", choices=FORMATS, default="movielens", dest="data_format")
    parser.add_argument("--db-url", help="an empty database to import into [default: a temporary SQLite file]")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    engine = make_engine(args.db_url or f"sqlite:///{folder / 'bench.db'}")
    migrate.upgrade(engine)
    summary = import_dataset(engine, folder / "home", args.data, fmt=args.data_format)
    frame = load_interactions(args.data, args.data_format)
    started = time.perf_counter()
    with engine.begin() as conn:
        frame.to_sql("bench_raw_interactions", conn, index=False, chunksize=10_000)
        raw_seconds = time.perf_counter() - started
        conn.execute(text("DROP TABLE bench_raw_interactions"))
    engine.dispose()
    rows = summary.users + 1 + summary.posts + summary.hashtags + summary.likes + summary.follows + summary.events
    return {
        "dataset": summary.dataset,
        "backend": engine.dialect.name,
        "interactions": len(frame),
        "rows_written": rows,
        "import_seconds": round(summary.seconds, 2),
        "import_rows_per_s": round(rows / summary.seconds),
        "reference_to_sql_seconds": round(raw_seconds, 2),
        "reference_rows_per_s": round(len(frame) / raw_seconds),
        "counts": {k: getattr(summary, k) for k in ("users", "posts", "likes", "views", "follows", "events")},
    }


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        result = run(args, Path(folder))
    table = Table(title=f"import of {result['dataset']} ({result['backend']})")
    for column in ("path", "rows", "seconds", "rows/s"):
        table.add_column(column, justify="left" if column == "path" else "right")
    table.add_row(
        "import_dataset (all tables + outbox)",
        f"{result['rows_written']:,}",
        f"{result['import_seconds']:.2f}",
        f"{result['import_rows_per_s']:,}",
    )
    table.add_row(
        "reference: DataFrame.to_sql (raw rows only)",
        f"{result['interactions']:,}",
        f"{result['reference_to_sql_seconds']:.2f}",
        f"{result['reference_rows_per_s']:,}",
    )
    Console().print(table)
    if args.json_out is not None:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()

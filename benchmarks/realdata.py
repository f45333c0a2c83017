"""Offline protocol on real data (MovieLens ml-latest-small by default): baselines with wall times.

    python benchmarks/realdata.py [--quick] [--json OUT] [--data PATH] [--format csv|movielens]

The data is read where it lies (never copied). The reference is the popularity baseline: under this
protocol it scores NDCG@10 ≈ 0.061 on ml-latest-small, so a different figure means a different split.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

from training.evaluation.data import FORMATS, load_interactions
from training.evaluation.models import RECOMMENDERS
from training.evaluation.report import evaluate_model, make_split, print_report

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "datasets" / "ml-latest-small" / "ratings.csv"
REFERENCE_POPULARITY_NDCG = 0.061
REFERENCE_TOLERANCE = 0.002
QUICK_USERS = 150


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"subsample {QUICK_USERS} users (seeded)")
    parser.add_argument("--json", type=Path, dest="json_out", help="write the results here")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="interactions file")
    parser.add_argument("--format", choices=FORMATS, default="movielens", dest="data_format")
    parser.add_argument("--models", default=",".join(RECOMMENDERS), help="comma-separated model names")
    return parser.parse_args(argv)


def sample_users(frame: pd.DataFrame, n_users: int, seed: int = 0) -> pd.DataFrame:
    users = frame["user_id"].unique()
    chosen = np.random.default_rng(seed).choice(users, size=min(n_users, len(users)), replace=False)
    return frame[frame["user_id"].isin(chosen)]


def run(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, float]]:
    """Return the evaluation report and the wall seconds of each step (split, then each model)."""
    start = time.perf_counter()
    frame = load_interactions(args.data, args.data_format)
    if args.quick:
        frame = sample_users(frame, QUICK_USERS)
    split = make_split(frame)
    seconds = {"load+split": time.perf_counter() - start}
    results = {}
    for name in [name.strip() for name in args.models.split(",") if name.strip()]:
        start = time.perf_counter()
        results[name] = evaluate_model(split, RECOMMENDERS[name]())
        seconds[name] = time.perf_counter() - start
    dataset = args.data.parent.name if args.data_format == "movielens" else args.data.stem
    report = {"dataset": dataset, "users": split.n_users, "items": split.n_items, "models": results}
    return report, seconds


def reference_check(report: dict[str, Any], quick: bool) -> str | None:
    """Compare popularity NDCG@10 to the protocol's reference figure (full ml-latest-small only)."""
    popularity = report["models"].get("popularity")
    if quick or popularity is None or report["dataset"] != "ml-latest-small":
        return None
    value = popularity["ndcg@10"]
    verdict = "ok" if abs(value - REFERENCE_POPULARITY_NDCG) <= REFERENCE_TOLERANCE else "MISMATCH: the split differs"
    return f"popularity ndcg@10 {value:.4f} vs reference {REFERENCE_POPULARITY_NDCG} → {verdict}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report, seconds = run(args)
    console = Console()
    print_report(report, console, seconds)
    console.print(f"load + split: {seconds['load+split']:.2f} s" + (" (quick: user subsample)" if args.quick else ""))
    check = reference_check(report, args.quick)
    if check:
        console.print(check)
    if args.json_out is not None:
        payload = {**report, "seconds": seconds, "quick": args.quick, "reference_check": check}
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if check and "MISMATCH" in check else 0


if __name__ == "__main__":
    raise SystemExit(main())

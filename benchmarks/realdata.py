"""Offline protocol on real data (MovieLens ml-latest-small by default): every model with wall times.

    python benchmarks/realdata.py [--quick] [--json OUT] [--data PATH] [--format csv|movielens]

The data is read where it lies (never copied). The reference is the popularity baseline: under this
protocol it scores NDCG@10 ≈ 0.061 on ml-latest-small, so a different figure means a different split.
Each model's NDCG@10 is also given as a ratio to ALS, measured in the same run; the full pipeline
(`lightgbm`, `torch`: retrieval + ranker) aims at 1.1 × ALS or better.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from rich.console import Console

# Run as a script, this file's folder comes first on sys.path and `features` would be benchmarks/features.py
# (the pipeline models import the ranker training code, which imports the `features` package).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from training.evaluation.data import FORMATS, load_interactions  # noqa: E402
from training.evaluation.models import RECOMMENDERS  # noqa: E402
from training.evaluation.report import evaluate_model, make_split, print_report  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "datasets" / "ml-latest-small" / "ratings.csv"
REFERENCE_POPULARITY_NDCG = 0.061
REFERENCE_TOLERANCE = 0.002
PIPELINE_TARGET = 1.1  # the full pipeline's NDCG@10 over ALS's
PIPELINES = ("lightgbm", "torch")
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


def ratios_to_als(report: dict[str, Any]) -> dict[str, float]:
    """Each model's NDCG@10 over ALS's (empty when ALS was not run or scored 0)."""
    als = report["models"].get("als", {}).get("ndcg@10", 0.0)
    if als <= 0:
        return {}
    return {name: metrics["ndcg@10"] / als for name, metrics in report["models"].items()}


def ratio_lines(ratios: dict[str, float], quick: bool) -> list[str]:
    """One line per model; the pipelines' say whether the target is met (on the full file only)."""
    lines = []
    for name, ratio in ratios.items():
        if name == "als":
            continue
        verdict = ""
        if name in PIPELINES and not quick:
            verdict = f" (target ≥ {PIPELINE_TARGET}: {'met' if ratio >= PIPELINE_TARGET else 'NOT met'})"
        lines.append(f"{name} ndcg@10 / als = {ratio:.3f}{verdict}")
    return lines


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report, seconds = run(args)
    console = Console()
    print_report(report, console, seconds)
    console.print(f"load + split: {seconds['load+split']:.2f} s" + (" (quick: user subsample)" if args.quick else ""))
    ratios = ratios_to_als(report)
    for line in ratio_lines(ratios, args.quick):
        console.print(line)
    check = reference_check(report, args.quick)
    if check:
        console.print(check)
    if args.json_out is not None:
        payload = {
            **report,
            "seconds": seconds,
            "quick": args.quick,
            "reference_check": check,
            "ndcg_ratio_to_als": ratios,
            "pipeline_target": PIPELINE_TARGET,
        }
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(payload, indent=2) + "\n")
    return 1 if check and "MISMATCH" in check else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Feed policies compared on the synthetic world: does the trained ranker beat the chronological feed?

    python benchmarks/policies.py [--quick] [--json OUT] [--users N] [--days D] [--train-sessions S] [--sessions E]

One run: seed a world (SQLite file database); simulate training traffic (half chronological, half
popular feeds, as a new app would have); build the batch features; train the two-tower model and the
LightGBM ranker (registered in MLflow under the home); then, from that same starting state, copied once
per policy so no policy sees another's sessions, play the same evaluation sessions (same users, same
times) with chronological (the reference), popular, model (the ranking pipeline over the champion) and
oracle (the hidden ceiling). Prints engagement per session, its ratio to chronological, and the ratio
of the hidden expected engagement to the oracle's on the same sessions. Target: model ≥ 1.3 ×
chronological.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path and `features` would be benchmarks/features.py.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # one table, not a progress bar per download

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from features.batch.pipeline import BatchConfig, build_features  # noqa: E402
from features.store import FeatureStoreConfig, apply, open_store  # noqa: E402
from serving.settings import Settings  # noqa: E402
from serving.simulation_policy import find_ranker, register_model_policy  # noqa: E402
from social_core.db import make_engine  # noqa: E402
from social_core.migrate import upgrade  # noqa: E402
from training.ranker.job import RankerJobConfig  # noqa: E402
from training.ranker.job import main as train_ranker  # noqa: E402
from training.simulation.report import sessions_table  # noqa: E402
from training.simulation.seeding import seed_world  # noqa: E402
from training.simulation.sessions import SessionConfig, SessionReport, run_sessions  # noqa: E402
from training.simulation.world import WorldConfig  # noqa: E402
from training.two_tower import TwoTowerJobConfig  # noqa: E402
from training.two_tower import main as train_two_tower  # noqa: E402

ENGAGEMENT_WEIGHTS = {"like": 1.0, "comment": 1.0, "save": 1.0, "share": 1.0, "hide": -1.0}
# (label, policy, value-model weights): `model` serves with the product's default weights (a save worth 6
# likes, a share 8); `model-engagement` with the weights of what this benchmark counts (each action once).
VARIANTS: tuple[tuple[str, str, dict[str, float]], ...] = (
    ("chronological", "chronological", {}),
    ("popular", "popular", {}),
    ("model", "model", {}),
    ("model-engagement", "model", ENGAGEMENT_WEIGHTS),
    ("oracle", "oracle", {}),
)
TARGET = 1.3
QUICK = {"users": 300, "days": 10, "train_sessions": 3_000, "sessions": 200, "epochs": 2, "rounds": 40}
FULL = {"users": 1_000, "days": 14, "train_sessions": 12_000, "sessions": 1_500, "epochs": 6, "rounds": 300}


def main() -> None:
    args = parse_args()
    console = Console()
    with tempfile.TemporaryDirectory(prefix="pixelrank-policies-") as tmp:
        results = run(Path(tmp), args, console)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small world, few sessions (~1.5 min)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--users", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--train-sessions", type=int, help="sessions of training traffic before the models train")
    parser.add_argument("--sessions", type=int, help="evaluation sessions per policy")
    parser.add_argument("--epochs", type=int, help="most two-tower epochs")
    parser.add_argument("--rounds", type=int, help="most LightGBM rounds per head")
    args = parser.parse_args()
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def run(tmp: Path, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    started = time.perf_counter()
    home = tmp / "trained"
    timings = prepare(home, args, console)
    reports: dict[str, SessionReport] = {}
    model_stats: dict[str, Any] = {}
    for label, policy, weights in VARIANTS:
        copy = tmp / label
        shutil.copytree(home, copy)
        url = f"sqlite:///{copy / 'pixelrank.db'}"
        settings = Settings(home=copy, database_url=url, redis_url=None, ranking_weights=weights)
        engine = make_engine(settings.db_url)
        try:
            registered = register_model_policy(settings, engine, find_ranker(settings)) if policy == "model" else None
            config = SessionConfig(sessions=args.sessions, policy=policy, seed=7, oracle_sessions=args.sessions)
            reports[label] = replace(run_sessions(engine, copy, config), policy=label)
        finally:
            engine.dispose()
        if registered is not None:
            served = registered.built[-1]
            model_stats[label] = {"version": served.version, "weights": weights or "defaults", **vars(served.stats)}
        console.print(f"{label}: {reports[label].engagement_per_session:.3f} engagement/session")
        shutil.rmtree(copy)
    timings["total_s"] = time.perf_counter() - started
    console.print(sessions_table(list(reports.values())))
    console.print(comparison_table(reports))
    results = summary(reports, args, timings, model_stats)
    for label in ("model", "model-engagement"):
        value = results["vs_chronological"][label]
        verdict = "met" if value >= TARGET else "NOT met"
        console.print(f"{label} / chronological = {value:.2f} (target {TARGET}: {verdict})")
    console.print(f"model serving: {model_stats}")
    console.print(f"seconds: {', '.join(f'{k} {v:.0f}' for k, v in timings.items())}")
    return results


def prepare(home: Path, args: argparse.Namespace, console: Console) -> dict[str, float]:
    """Seed, simulate training traffic, build features, train and register both models; returns seconds."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    home.mkdir()
    url = f"sqlite:///{home / 'pixelrank.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed_world(engine, home, WorldConfig(users=args.users, days=args.days, seed=0))
    timings["seed_s"], clock = time.perf_counter() - clock, time.perf_counter()
    half = args.train_sessions // 2
    for policy, seed, n in (("chronological", 1, half), ("popular", 2, args.train_sessions - half)):
        run_sessions(engine, home, SessionConfig(sessions=n, policy=policy, seed=seed, oracle_sessions=0))
    timings["training_traffic_s"], clock = time.perf_counter() - clock, time.perf_counter()
    store_config = FeatureStoreConfig(home=home)
    build_features(engine, BatchConfig(store_config.data_dir))
    apply(open_store(store_config), store_config)
    engine.dispose()
    timings["features_s"], clock = time.perf_counter() - clock, time.perf_counter()
    two_tower = TwoTowerJobConfig(home=home, database_url=url, features=store_config)
    two_tower = replace(two_tower, train=replace(two_tower.train, epochs=args.epochs, threads=2))
    tower = train_two_tower(two_tower)
    console.print(f"two-tower {tower.version}: test recall {tower.recall}")
    timings["two_tower_s"], clock = time.perf_counter() - clock, time.perf_counter()
    ranker = RankerJobConfig(home=home, database_url=url, build_features=False)
    ranker = replace(ranker, lightgbm=replace(ranker.lightgbm, rounds=args.rounds, threads=2))
    trained = train_ranker(ranker)
    console.print(f"ranker {trained.version}: holdout NDCG@10 {trained.ndcg_at_10}")
    timings["ranker_s"] = time.perf_counter() - clock
    return timings


def comparison_table(reports: dict[str, SessionReport]) -> Table:
    reference = reports["chronological"]
    table = Table(title="policies on the same evaluation sessions (reference: chronological)")
    for column in ("policy", "engagement/session", "vs chronological", "expected/session", "expected vs chrono"):
        table.add_column(column, justify="left" if column == "policy" else "right")
    table.add_column("vs oracle", justify="right")
    for name, report in reports.items():
        table.add_row(
            name,
            f"{report.engagement_per_session:.3f}",
            f"{ratio(report.engagement_per_session, reference.engagement_per_session):.2f}x",
            f"{expected_per_session(report):.3f}",
            f"{ratio(expected_per_session(report), expected_per_session(reference)):.2f}x",
            "n/a" if report.oracle_ratio is None else f"{report.oracle_ratio:.2f}",
        )
    return table


def expected_per_session(report: SessionReport) -> float:
    """The hidden expected engagement per session (no sampling noise), over the oracle-evaluated sessions."""
    return report.expected / max(report.oracle_sessions, 1)


def ratio(value: float, reference: float) -> float:
    return value / reference if reference > 0 else float("nan")


def summary(
    reports: dict[str, SessionReport], args: argparse.Namespace, timings: dict[str, float], model: dict[str, Any]
) -> dict[str, Any]:
    reference = reports["chronological"]
    return {
        "config": {k: getattr(args, k) for k in QUICK} | {"quick": args.quick},
        "policies": {name: report.as_dict() for name, report in reports.items()},
        "vs_chronological": {
            name: ratio(r.engagement_per_session, reference.engagement_per_session) for name, r in reports.items()
        },
        "expected_vs_chronological": {
            name: ratio(expected_per_session(r), expected_per_session(reference)) for name, r in reports.items()
        },
        "target": TARGET,
        "model_serving": model,
        "seconds": timings,
    }


if __name__ == "__main__":
    main()

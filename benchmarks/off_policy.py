"""Off-policy estimates against the simulator's truth: can logs of an exploring champion tell how other feeds do?

    python benchmarks/off_policy.py [--quick] [--json OUT] [--users N] [--sessions S] [--pool P] [--temperature T]

One run: the world and champion of benchmarks/policies.py (seed, training traffic, features, two-tower,
LightGBM ranker), plus a second ranker (the torch multi-task net, not registered). Then, from that one
starting state, copied once per run so no run sees another's sessions:
- the logging run: the champion's feed with every session explored (`--explore 1`: the first slots a
  Plackett–Luce draw from the ranked head's first `--pool` items at `--temperature`), propensities logged;
- one truth run per candidate policy, on the same users at the same times, exploring nothing: the
  champion itself, the champion with engagement weights, the torch ranker, and the heuristic ranker
  (recency × engagement rate × affinity, the app's popular-and-fresh fallback).

The truth of a policy is the hidden expected engagement per session (likes, comments, saves, shares) of
the pages its run served, as the behaviour model computes it: the same quantity as the engagement the
run sampled, without the sampling noise, which at a few thousand sessions is as large as the gaps
between the policies (the sampled figure is printed beside it). Each candidate is then estimated from
the logging run alone (`training.off_policy`): its ranker re-ranks every logged pool, the feed's own
selectors arrange it, and IPS, SNIPS, DR and DM weigh what was shown under the position-based click
model. `relative_error` = |estimate − truth| / truth. Target: ≤ 10% for SNIPS and DR, and the candidates
in the right order. The reference is the previous estimator, measured in the same run: item-position
weights over the pool in plain value order. The naive offline metric, NDCG@10 of the logged
impressions re-ranked by each candidate, is printed too: where its order and the truth's disagree, it
would have picked the wrong model.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

# Run as a script, this file's folder comes first on sys.path (benchmarks/features.py would shadow the package).
_HERE = Path(__file__).resolve().parent
sys.path[:] = [str(_HERE.parent)] + [p for p in sys.path if Path(p or ".").resolve() != _HERE]
os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")

import numpy as np  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from benchmarks.policies import expected_per_session, prepare  # noqa: E402
from features.schema import service_columns  # noqa: E402
from ranking.model import RankerModel  # noqa: E402
from ranking.scorers.heuristic import HeuristicModel  # noqa: E402
from ranking.selectors.exploration import ExplorationConfig  # noqa: E402
from ranking.value_model import ValueWeights  # noqa: E402
from serving.feed.ranker import FamilyModel, load_family_model  # noqa: E402
from serving.settings import Settings  # noqa: E402
from serving.simulation_policy import find_ranker, register_model_policy  # noqa: E402
from social_core.db import make_engine  # noqa: E402
from training.off_policy.evaluate import ENGAGEMENT, OPEConfig, estimate_model, feed_arrangement, pool_values  # noqa: E402
from training.off_policy.logs import ExploredLogs, load_explored  # noqa: E402
from training.ranker.job import RankerJobConfig  # noqa: E402
from training.ranker.job import main as train_ranker  # noqa: E402
from training.ranker.metrics import ndcg_at_k  # noqa: E402
from training.simulation.model_policy import ModelPolicyConfig  # noqa: E402
from training.simulation.sessions import SessionConfig, run_sessions  # noqa: E402

TARGET = 0.10
CHECKED = ("snips", "dr")
# (label, click model, feed arrangement): the estimator and the previous one, its reference
ESTIMATORS = (("position-based", "position-based", True), ("reference: item-position", "item-position", False))
ENGAGEMENT_WEIGHTS = {"like": 1.0, "comment": 1.0, "save": 1.0, "share": 1.0, "hide": -1.0}
QUICK = {"users": 300, "days": 10, "train_sessions": 3_000, "sessions": 800, "epochs": 2, "rounds": 40}
FULL = {"users": 600, "days": 14, "train_sessions": 8_000, "sessions": 3_000, "epochs": 4, "rounds": 200}
SEED = 11  # the logging run's and every truth run's sessions


@dataclass(frozen=True)
class Candidate:
    label: str
    ranker: FamilyModel
    weights: dict[str, float]  # value-model overrides of its feed (empty: serving's defaults)


class Columns:
    """A model over some of the logged pool's feature columns (the heuristic reads 5 of them)."""

    def __init__(self, model: RankerModel, logged: tuple[str, ...]) -> None:
        self.model, self.heads, self.feature_names = model, model.heads, logged
        self.index = [logged.index(name) for name in model.feature_names]
        self.version = model.version

    def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
        return self.model.predict(features[:, self.index])


def main() -> None:
    args = parse_args()
    console = Console(width=240)
    with tempfile.TemporaryDirectory(prefix="pixelrank-off-policy-") as tmp:
        results = run(Path(tmp), args, console)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str) + "\n")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="small world, few sessions")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--users", type=int)
    parser.add_argument("--days", type=int)
    parser.add_argument("--train-sessions", type=int, help="sessions of training traffic before the models train")
    parser.add_argument("--sessions", type=int, help="sessions of the logging run and of each truth run")
    parser.add_argument("--epochs", type=int, help="most two-tower epochs")
    parser.add_argument("--rounds", type=int, help="most LightGBM rounds per head")
    parser.add_argument("--temperature", type=float, default=0.7, help="of the logging run's draws")
    parser.add_argument("--pool", type=int, default=50, help="ranked items the logging run draws from")
    args = parser.parse_args()
    for name, value in (QUICK if args.quick else FULL).items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    return args


def run(tmp: Path, args: argparse.Namespace, console: Console) -> dict[str, Any]:
    started = time.perf_counter()
    home = tmp / "trained"
    timings = prepare(home, args, console)
    torch_job = RankerJobConfig(home=home, database_url=_url(home), build_features=False, model="torch")
    torch_job = replace(torch_job, version="torch", register=False, torch=replace(torch_job.torch, threads=2))
    train_ranker(torch_job)
    champion = find_ranker(Settings(home=home, database_url=_url(home), redis_url=None))
    candidates = [
        Candidate("champion", champion, {}),
        Candidate("champion, engagement weights", champion, ENGAGEMENT_WEIGHTS),
        Candidate("torch ranker", load_family_model(home / "models" / "ranker" / "torch", "torch"), {}),
        Candidate("heuristic (popular & fresh)", FamilyModel("heuristic", HeuristicModel()), {}),
    ]
    exploration = ExplorationConfig(1.0, args.temperature, 10, args.pool, seed=SEED)
    clock = time.perf_counter()
    logs, logged_engagement = logging_run(tmp, home, champion, exploration, args.sessions)
    timings["logging_run_s"], clock = time.perf_counter() - clock, time.perf_counter()
    truth = {c.label: truth_run(tmp, home, c, args.sessions) for c in candidates}
    timings["truth_runs_s"] = time.perf_counter() - clock
    arrangement = feed_arrangement(home)
    estimates: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    naive = {}
    for c in candidates:
        model = c.ranker.model if c.ranker.family != "heuristic" else Columns(c.ranker.model, logs.feature_columns)
        weights = ValueWeights().override(c.weights).as_dict()
        estimates[c.label] = {}
        for label, click_model, arranged in ESTIMATORS:
            config = OPEConfig(model=click_model)
            selectors = arrangement if arranged else ()
            found = estimate_model(
                logs, model, champion.model, weights, config, reward_weights=ENGAGEMENT, selectors=selectors
            )
            estimates[c.label][label] = {
                name: e.as_dict() | {"relative_error": relative(e.value, truth[c.label]["expected"])}
                for name, e in found.items()
            }
        naive[c.label] = naive_ndcg(logs, model, weights)
    timings["total_s"] = time.perf_counter() - started
    results = summary(args, logs, logged_engagement, truth, estimates, naive, timings)
    report(console, results)
    return results


def logging_run(
    tmp: Path, home: Path, champion: FamilyModel, exploration: ExplorationConfig, sessions: int
) -> tuple[ExploredLogs, float]:
    copy = tmp / "logging"
    shutil.copytree(home, copy)
    settings = Settings(home=copy, database_url=_url(copy), redis_url=None)
    engine = make_engine(settings.db_url)
    try:
        register_model_policy(settings, engine, champion, ModelPolicyConfig(exploration=exploration))
        played = run_sessions(
            engine, copy, SessionConfig(sessions=sessions, policy="model", seed=SEED, oracle_sessions=0)
        )
        logs = load_explored(engine, service_columns(RankerJobConfig(home=copy, database_url="").training_set.service))
    finally:
        engine.dispose()
    shutil.rmtree(copy)
    return logs, played.engagement_per_session


def truth_run(tmp: Path, home: Path, candidate: Candidate, sessions: int) -> dict[str, float]:
    """The candidate's hidden expected and its sampled engagement per session."""
    copy = tmp / "truth"
    shutil.copytree(home, copy)
    settings = Settings(home=copy, database_url=_url(copy), redis_url=None, ranking_weights=candidate.weights)
    engine = make_engine(settings.db_url)
    try:
        register_model_policy(settings, engine, candidate.ranker)
        played = run_sessions(
            engine, copy, SessionConfig(sessions=sessions, policy="model", seed=SEED, oracle_sessions=sessions)
        )
    finally:
        engine.dispose()
    shutil.rmtree(copy)
    return {"expected": expected_per_session(played), "sampled": played.engagement_per_session}


def naive_ndcg(logs: ExploredLogs, model: RankerModel, weights: dict[str, float]) -> float | None:
    """NDCG@10 of the viewed impressions re-ranked by the candidate: the offline metric OPE replaces."""
    values = pool_values(logs, model, weights)
    rows, slots = np.nonzero(logs.viewed)
    scores = values[rows, logs.shown[rows, slots]]
    relevance = sum(logs.labels[head][rows, slots] for head in ("like", "comment", "save", "share"))
    return ndcg_at_k(scores, np.asarray(relevance), rows, 10)


def relative(estimate: float, truth: float) -> float:
    return abs(estimate - truth) / truth if truth > 0 else float("nan")


def summary(
    args: argparse.Namespace,
    logs: ExploredLogs,
    logged: float,
    truth: dict[str, dict[str, float]],
    estimates: dict[str, dict[str, dict[str, dict[str, Any]]]],
    naive: dict[str, float | None],
    timings: dict[str, float],
) -> dict[str, Any]:
    by_truth = sorted(truth, key=lambda label: -truth[label]["expected"])
    orders = {
        f"{family} {name}": sorted(truth, key=lambda label: -estimates[label][family][name]["value"])
        for family in estimates[by_truth[0]]
        for name in estimates[by_truth[0]][family]
    }
    orders["naive ndcg"] = sorted(truth, key=lambda label: -(naive[label] or 0.0))
    main = ESTIMATORS[0][0]
    return {
        "config": {k: getattr(args, k) for k in QUICK}
        | {"quick": args.quick, "temperature": args.temperature, "pool": args.pool},
        "explored_requests": len(logs),
        "logging_engagement_per_session": logged,
        "truth": truth,
        "estimates": estimates,
        "naive_ndcg": naive,
        "order_by_truth": by_truth,
        "order_right": {name: order == by_truth for name, order in orders.items()},
        "target": {"relative_error": TARGET, "estimators": [f"{main} {name}" for name in CHECKED]},
        "met": all(estimates[label][main][name]["relative_error"] <= TARGET for label in truth for name in CHECKED)
        and all(orders[f"{main} {name}"] == by_truth for name in CHECKED),
        "seconds": timings,
    }


def report(console: Console, results: dict[str, Any]) -> None:
    first = next(iter(results["estimates"].values()))
    main = ESTIMATORS[0][0]
    columns = [(family, name) for family in first for name in first[family] if family == main or name in CHECKED]
    table = Table(title=f"engagement per session: OPE on {results['explored_requests']:,} explored sessions vs truth")
    for column in (
        "policy",
        "truth",
        "sampled",
        *(f"{f.removeprefix('reference: ')} {n}" for f, n in columns),
        "naive NDCG@10",
    ):
        table.add_column(column, justify="left" if column == "policy" else "right")
    for label, truth in results["truth"].items():
        cells = []
        for family, name in columns:
            e = results["estimates"][label][family][name]
            cells.append(f"{e['value']:.3f} [{e['low']:.3f}, {e['high']:.3f}] {e['relative_error']:.0%}")
        ndcg = results["naive_ndcg"][label]
        table.add_row(
            label, f"{truth['expected']:.3f}", f"{truth['sampled']:.3f}", *cells, "-" if ndcg is None else f"{ndcg:.4f}"
        )
    console.print(table)
    console.print(
        f"logging run (exploring champion): {results['logging_engagement_per_session']:.3f} engagement/session"
    )
    console.print(f"order by truth: {' > '.join(results['order_by_truth'])}")
    console.print("order right: " + ", ".join(f"{k} {'yes' if v else 'NO'}" for k, v in results["order_right"].items()))
    verdict = "met" if results["met"] else "NOT met"
    checked = ", ".join(results["target"]["estimators"])
    console.print(f"target (≤ {TARGET:.0%} relative error for {checked}, right order): {verdict}")
    console.print(f"seconds: {', '.join(f'{k} {v:.0f}' for k, v in results['seconds'].items())}")


def _url(home: Path) -> str:
    return f"sqlite:///{home / 'pixelrank.db'}"


if __name__ == "__main__":
    main()

"""Scoring 500 candidates with the LightGBM ranker: stock `Booster.predict` against compiled trees, one thread.

    python benchmarks/scoring.py [--quick] [--json OUT]

Models: (a) the heads the training job fits (defaults, early stopping) on a small simulated world's
logged impressions, joined point in time with the ranker_v1 features; (b) a 300-tree reference: every
head trained for exactly 300 rounds with 31 leaves on the same rows. Candidates: 500 rows of the test
requests, 64 different sets scored in turn. The reference is stock `Booster.predict(num_threads=1)`,
head by head; the faster path is each head compiled to machine code by lleaves (LLVM) and called with
one thread, through `LightGBMRanker.compile` — the path serving takes, which keeps the compiled trees
only where they return *identical* probabilities (`numpy.array_equal`) to the stock ones. Serving runs
the trees in cache blocks that sum them in LightGBM's order (`ranking/models/ordered_blocks.py`); the
previous version, one block per head, is measured too.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightgbm as lgb
import lleaves
import numpy as np
from rich.console import Console
from rich.table import Table

# Run as a script, this file's folder comes first on sys.path and `features` would be benchmarks/features.py.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from features.batch.pipeline import BatchConfig, build_features  # noqa: E402
from features.schema import service_columns  # noqa: E402
from features.store import FeatureStoreConfig, apply, open_store  # noqa: E402
from features.training_set import build_training_set  # noqa: E402
from ranking.models.compiled import BLOCK  # noqa: E402
from ranking.models.lightgbm import LightGBMRanker  # noqa: E402
from social_core.db import make_engine  # noqa: E402
from social_core.migrate import upgrade  # noqa: E402
from training.ranker.dataset import RankerData, ranker_data  # noqa: E402
from training.ranker.impressions import impression_context, with_context  # noqa: E402
from training.ranker.lightgbm_job import LightGBMConfig, booster_params, fit_lightgbm  # noqa: E402
from training.simulation.seeding import seed_world  # noqa: E402
from training.simulation.sessions import SessionConfig, run_sessions  # noqa: E402
from training.simulation.world import WorldConfig  # noqa: E402

CANDIDATES = 500
BATCHES = 64  # different candidate sets, scored in turn


def world_data(quick: bool, folder: Path) -> RankerData:
    engine = make_engine(f"sqlite:///{folder / 'pixelrank.db'}")
    upgrade(engine)
    seed_world(engine, folder, WorldConfig(users=300 if quick else 2_000, days=7, seed=1))
    run_sessions(engine, folder, SessionConfig(sessions=4_000 if quick else 30_000, oracle_sessions=0, seed=1))
    store_config = FeatureStoreConfig(home=folder)
    build_features(engine, BatchConfig(store_config.data_dir))
    store = open_store(store_config)
    apply(store, store_config)
    frame = build_training_set(store, engine)
    frame = with_context(frame, impression_context(engine, frame["impression_id"].to_numpy()))
    engine.dispose()
    return ranker_data(frame, service_columns("ranker_v1"))


def fixed_size(data: RankerData, heads: tuple[str, ...], trees: int) -> LightGBMRanker:
    """Every head boosted for exactly `trees` rounds with 31 leaves (no early stopping): a heavier model."""
    params = booster_params(LightGBMConfig(num_leaves=31), "binary")
    boosters = {
        head: lgb.train(params, lgb.Dataset(data.train.features, data.train.labels[head]), num_boost_round=trees)
        for head in heads
    }
    return LightGBMRanker(boosters, data.feature_names, f"{trees}-tree")


Call = Callable[[np.ndarray], object]


def stock_call(booster: lgb.Booster) -> Call:
    return lambda candidates: booster.predict(candidates, num_threads=1)


def compiled_call(model: lleaves.Model) -> Call:
    """One head's compiled scoring, one thread."""
    return lambda candidates: model.predict(candidates, n_jobs=1)


def timed(call: Call, batches: list[np.ndarray], repeats: int) -> tuple[float, float]:
    """(median, min) milliseconds of one call, after two warm-up calls; min is the less noisy on a busy machine.

    Each call scores the next of many different candidate batches: the same 500 rows again and again let
    the CPU's branch predictor learn their paths through the trees, and both paths look 2-3x faster."""
    call(batches[-1])
    call(batches[-2])
    samples = []
    for i in range(repeats):
        batch = batches[i % len(batches)]
        started = time.perf_counter()
        call(batch)
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), min(samples)


def agreement(scores: dict[str, np.ndarray], stock: dict[str, np.ndarray]) -> tuple[bool, float]:
    """(every head identical to stock, the largest absolute difference of any head)."""
    same = all(np.array_equal(scores[h], stock[h]) for h in stock)
    return same, max(float(np.abs(scores[h] - stock[h]).max()) for h in stock)


def compare(
    label: str, ranker: LightGBMRanker, batches: list[np.ndarray], repeats: int, folder: Path, previous: bool = True
) -> list[dict[str, Any]]:
    """Stock, serving's compiled path and, with `previous`, the one-block version, all heads and head by head."""
    candidates = batches[0]  # for the identity check
    trees = {head: booster.best_iteration or booster.num_trees() for head, booster in ranker.boosters.items()}
    stock = {head: booster.predict(candidates, num_threads=1) for head, booster in ranker.boosters.items()}
    rows: list[dict[str, Any]] = []

    def row(
        path: str,
        head: str,
        ms: tuple[float, float],
        reference: tuple[float, float],
        identical: bool | None,
        diff: float | None,
    ) -> None:
        rows.append(
            {
                "model": label,
                "path": path,
                "head": head,
                "trees": sum(trees.values()) if head == "all" else trees[head],
                "median ms": ms[0],
                "min ms": ms[1],
                "x stock (median)": reference[0] / ms[0],
                "identical": "-" if identical is None else ("yes" if identical else "NO"),
                "max |diff|": diff,
            }
        )

    per_head = {h: timed(stock_call(b), batches, repeats) for h, b in ranker.boosters.items()}
    all_stock = timed(lambda c: [b.predict(c, num_threads=1) for b in ranker.boosters.values()], batches, repeats)
    row("stock predict (reference)", "all", all_stock, all_stock, None, None)
    row("LightGBMRanker.predict", "all", timed(ranker.predict, batches, repeats), all_stock, None, None)
    serving = LightGBMRanker(ranker.boosters, ranker.feature_names, ranker.version)
    compiled = serving.compiled if serving.compile(folder) else None  # serving's own path, checked identical
    if compiled is None:
        Console(stderr=True).print("compiled path unavailable (compiling failed, or scores differ): stock only")
    else:
        fast = serving.predict(candidates)
        same, diff = agreement(fast, stock)
        row(
            f"LightGBMRanker.predict, compiled, blocks of {BLOCK} trees",
            "all",
            timed(serving.predict, batches, repeats),
            all_stock,
            same,
            diff,
        )
    if compiled is not None and previous:
        one_block = max(b.num_trees() for b in ranker.boosters.values())  # the previous version: no cache blocks
        unblocked = LightGBMRanker(ranker.boosters, ranker.feature_names, ranker.version)
        if unblocked.compile(folder / "one-block", block=one_block):
            same, diff = agreement(unblocked.predict(candidates), stock)
            ms = timed(unblocked.predict, batches, repeats)
            row("compiled, one block (previous)", "all", ms, all_stock, same, diff)
    for head in ranker.boosters:
        row("stock predict (reference)", head, per_head[head], per_head[head], None, None)
        if compiled is not None:
            ms = timed(compiled_call(compiled.models[head]), batches, repeats)
            same_head = bool(np.array_equal(fast[head], stock[head]))
            row("compiled", head, ms, per_head[head], same_head, float(np.abs(fast[head] - stock[head]).max()))
    return rows


def table(rows: list[dict[str, Any]]) -> Table:
    out = Table(title=f"LightGBM ranker heads: {CANDIDATES} candidates, one thread")
    for column in rows[0]:
        out.add_column(column, justify="left" if column in ("model", "path", "head", "identical") else "right")
    for row in rows:
        cells = []
        for value in row.values():
            if value is None:
                cells.append("-")
            elif isinstance(value, float):
                cells.append(f"{value:.3g}" if value < 0.01 else f"{value:.3f}")
            else:
                cells.append(str(value))
        out.add_row(*cells)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    repeats = 30 if args.quick else 200
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        data = world_data(args.quick, folder)
        trained = fit_lightgbm(data, LightGBMConfig(lambdarank=False), "trained")
        reference = fixed_size(data, trained.heads, 300)
        rng = np.random.default_rng(0)
        batches = [
            np.ascontiguousarray(data.test.features[rng.choice(len(data.test), CANDIDATES, replace=False)])
            for _ in range(BATCHES)
        ]
        rows = compare("trained (early stopped)", trained, batches, repeats, folder / "a")
        # LLVM takes minutes to compile 300 trees as one function: the one-block row only in full runs
        rows += compare("300 trees per head", reference, batches, repeats, folder / "b", previous=not args.quick)
    Console(width=160).print(table(rows))
    info = {"impressions": len(data.train) + len(data.validation) + len(data.test), "features": len(data.feature_names)}
    Console().print(f"{info['impressions']:,} impressions, {info['features']} features; target: <= 1 ms for all heads")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"data": info, "lightgbm": lgb.__version__, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()

"""Compiled trees for serving: each LightGBM head → LLVM machine code (lleaves) → a native function.

Same scores as LightGBM (checked on a probe matrix before they are used), several times faster for a
page of candidates (`benchmarks/scoring.py`). Compiling takes a second or so per head, so it happens
once per model version, where the model is loaded (serving's champion watcher, in its own thread),
into a folder beside the model; if a single probe score differs, or compiling fails, the stock
LightGBM path keeps serving.

Identical, not merely close: lleaves sums the trees in blocks (`fblocksize`, for the instruction
cache) and adds the blocks up, which can move a score by an ulp; one block as large as the model sums
tree after tree from zero, as LightGBM does.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import lightgbm as lgb
import lleaves
import numpy as np

log = logging.getLogger(__name__)


class CompiledHeads:
    def __init__(self, models: Mapping[str, lleaves.Model]) -> None:
        self.models = dict(models)

    @classmethod
    def build(cls, boosters: Mapping[str, lgb.Booster], folder: Path) -> CompiledHeads:
        """Compile every head into ``folder`` (reusing machine code already there)."""
        folder.mkdir(parents=True, exist_ok=True)
        return cls({head: _compiled(booster, folder / head) for head, booster in boosters.items()})

    def predict(self, matrix: np.ndarray) -> dict[str, np.ndarray]:
        rows = np.ascontiguousarray(matrix, dtype=np.float64)
        return {head: np.asarray(m.predict(rows, n_jobs=1), dtype=np.float64) for head, m in self.models.items()}


def _compiled(booster: lgb.Booster, stem: Path) -> lleaves.Model:
    source, code = stem.with_suffix(".txt"), stem.with_suffix(".o")
    if not source.exists():
        _write_aside(source, lambda path: booster.save_model(str(path)))
    model = lleaves.Model(model_file=str(source))
    blocks = booster.num_trees()  # one block: trees summed in LightGBM's order (see above)
    if code.exists():
        model.compile(cache=str(code), fblocksize=blocks)
    else:
        _write_aside(code, lambda path: model.compile(cache=str(path), fblocksize=blocks))
    return model


def _write_aside(target: Path, write: Callable[[Path], object]) -> None:
    """`write` a file beside `target`, then rename it into place: another serving process may compile
    the same version at once, and a half-written file must never be loaded."""
    staging = target.with_name(f".{target.stem}-{os.getpid()}{target.suffix}")
    write(staging)
    staging.replace(target)


def compile_if_identical(boosters: Mapping[str, lgb.Booster], folder: Path, probe: np.ndarray) -> CompiledHeads | None:
    """Compiled heads that score ``probe`` exactly as LightGBM does, or None (logged) to keep the stock path."""
    try:
        compiled = CompiledHeads.build(boosters, folder)
        fast = compiled.predict(probe)
    except Exception:
        log.exception("compiling the ranker's trees failed: the stock LightGBM path serves")
        return None
    for head, booster in boosters.items():
        stock = np.asarray(booster.predict(probe, num_threads=1), dtype=np.float64)
        if not np.array_equal(fast[head], stock):
            gap = float(np.abs(fast[head] - stock).max())
            log.warning("compiled head %s differs from LightGBM by %.3g: not used", head, gap)
            return None
    return compiled


def probe_matrix(boosters: Mapping[str, lgb.Booster], rows: int = 256, seed: int = 0) -> np.ndarray:
    """Rows that reach many leaves: each feature drawn around the thresholds the trees split on."""
    rng = np.random.default_rng(seed)
    width = next(iter(boosters.values())).num_feature()
    thresholds: list[list[float]] = [[] for _ in range(width)]
    for booster in boosters.values():
        splits = booster.trees_to_dataframe()[["split_feature", "threshold"]].dropna()
        names = booster.feature_name()
        for name, threshold in zip(splits["split_feature"], splits["threshold"], strict=True):
            thresholds[names.index(name)].append(float(threshold))
    probe = np.zeros((rows, width))
    for j, values in enumerate(thresholds):
        if values:
            jitter = rng.normal(scale=1e-3 + 0.1 * np.std(values), size=rows) * (rng.random(rows) < 0.5)
            probe[:, j] = rng.choice(values, rows) + jitter  # half the rows exactly on a threshold
    return probe

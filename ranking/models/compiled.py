"""Compiled trees for serving: each LightGBM head → C (Treelite → tl2cgen) → a shared library.

Same scores as LightGBM (checked on a probe matrix before they are used), several times faster for a
page of candidates (`benchmarks/scoring.py`). Compiling takes a second or so per head and needs a C
compiler, so it happens once per model version, where the model is loaded (serving's champion
watcher, in its own thread), into a folder beside the model; without a compiler, or if a single
probe score differs, the stock LightGBM path keeps serving.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Mapping
from pathlib import Path

import lightgbm as lgb
import numpy as np
import tl2cgen
import treelite

log = logging.getLogger(__name__)


class CompiledHeads:
    def __init__(self, predictors: Mapping[str, tl2cgen.Predictor]) -> None:
        self.predictors = dict(predictors)

    @classmethod
    def build(cls, boosters: Mapping[str, lgb.Booster], folder: Path) -> CompiledHeads:
        """Compile every head into ``folder`` (reusing libraries already there)."""
        folder.mkdir(parents=True, exist_ok=True)
        predictors = {}
        for head, booster in boosters.items():
            library = folder / f"{head}.so"
            if not library.exists():
                source = folder / f"{head}.txt"
                booster.save_model(str(source))
                model = treelite.frontend.load_lightgbm_model(str(source))
                staging = folder / f".{head}.so"
                tl2cgen.export_lib(model, toolchain="gcc", libpath=str(staging), params={"parallel_comp": 4})
                staging.rename(library)  # a half-written library is never loaded
            predictors[head] = tl2cgen.Predictor(str(library), nthread=1)
        return cls(predictors)

    def predict(self, matrix: np.ndarray) -> dict[str, np.ndarray]:
        rows = tl2cgen.DMatrix(matrix, dtype="float64")
        return {
            head: np.asarray(p.predict(rows), dtype=np.float64).reshape(len(matrix))
            for head, p in self.predictors.items()
        }


def compile_if_identical(boosters: Mapping[str, lgb.Booster], folder: Path, probe: np.ndarray) -> CompiledHeads | None:
    """Compiled heads that score ``probe`` exactly as LightGBM does, or None (logged) to keep the stock path."""
    if shutil.which("gcc") is None:
        log.info("no C compiler: LightGBM scores without compiled trees")
        return None
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

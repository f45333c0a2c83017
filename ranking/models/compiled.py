"""Compiled trees for serving: each LightGBM head → LLVM machine code (lleaves) → a native function.

Same scores as LightGBM (checked on a probe matrix before they are used), several times faster for a
page of candidates (`benchmarks/scoring.py`). Compiling takes a second or so per head, so it happens
once per model version, where the model is loaded (serving's champion watcher, in its own thread),
into a folder beside the model; if a single probe score differs, or compiling fails, the stock
LightGBM path keeps serving.

Identical, not merely close: the trees run in blocks of `BLOCK` (each block over every row before the
next, for the instruction cache), and each block carries on from the running total the one before
left, so the trees are summed one by one from zero, as LightGBM does (`ordered_blocks`).
"""

from __future__ import annotations

import ctypes
import logging
import os
from collections.abc import Callable, Mapping
from pathlib import Path

import lightgbm as lgb
import lleaves
import numpy as np

from ranking.models.ordered_blocks import lightgbm_order

log = logging.getLogger(__name__)
BLOCK = 16  # trees per cache block: 8-16 were fastest for 500 rows x 47 features (benchmarks/scoring.py)
_DOUBLES = ctypes.POINTER(ctypes.c_double)


class CompiledHeads:
    def __init__(self, models: Mapping[str, lleaves.Model]) -> None:
        self.models = dict(models)
        self.width = next(iter(self.models.values())).num_feature()
        # Each head's native entry point, `forest_root(rows, out, first, last)`, called directly: lleaves'
        # `predict` checks and converts its input and allocates its output on every call, per head.
        self._roots = {head: model._c_entry_func for head, model in self.models.items()}  # lleaves==1.3.0 (pinned)

    @classmethod
    def build(cls, boosters: Mapping[str, lgb.Booster], folder: Path, block: int) -> CompiledHeads:
        """Compile every head into ``folder`` (reusing machine code already there), `block` trees per cache block."""
        folder.mkdir(parents=True, exist_ok=True)
        return cls({head: _compiled(booster, folder / head, block) for head, booster in boosters.items()})

    def predict(self, matrix: np.ndarray) -> dict[str, np.ndarray]:
        """Every head's scores for the rows of `matrix`, one thread."""
        rows = np.ascontiguousarray(matrix, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.width:
            raise ValueError(f"rows must be (n, {self.width}), got {rows.shape}")
        scores = np.empty((len(self._roots), len(rows)))
        data = rows.ctypes.data_as(_DOUBLES)
        for out, root in zip(scores, self._roots.values(), strict=True):
            root(data, out.ctypes.data_as(_DOUBLES), 0, len(rows))
        return dict(zip(self._roots, scores, strict=True))


def _compiled(booster: lgb.Booster, stem: Path, block: int) -> lleaves.Model:
    source, code = stem.with_suffix(".txt"), stem.with_name(f"{stem.name}-ordered{block}.o")
    if not source.exists():
        _write_aside(source, lambda path: booster.save_model(str(path)))
    model = lleaves.Model(model_file=str(source))
    if code.exists():
        model.compile(cache=str(code), fblocksize=block)
    else:
        with lightgbm_order():
            _write_aside(code, lambda path: model.compile(cache=str(path), fblocksize=block))
    return model


def _write_aside(target: Path, write: Callable[[Path], object]) -> None:
    """`write` a file beside `target`, then rename it into place: another serving process may compile
    the same version at once, and a half-written file must never be loaded."""
    staging = target.with_name(f".{target.stem}-{os.getpid()}{target.suffix}")
    write(staging)
    staging.replace(target)


def compile_if_identical(
    boosters: Mapping[str, lgb.Booster], folder: Path, probe: np.ndarray, block: int
) -> CompiledHeads | None:
    """Compiled heads that score ``probe`` exactly as LightGBM does, or None (logged) to keep the stock path."""
    try:
        compiled = CompiledHeads.build(boosters, folder, block)
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

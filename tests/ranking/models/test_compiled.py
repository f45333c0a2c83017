"""Compiled trees serve only when they give LightGBM's exact scores; otherwise the stock path does."""

from __future__ import annotations

from pathlib import Path

import lightgbm as lgb
import numpy as np
import pytest

from ranking.models import compiled
from ranking.models.lightgbm import LightGBMRanker

FEATURES = tuple(f"f{j}" for j in range(6))


def tiny_ranker(seed: int = 0) -> LightGBMRanker:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(600, len(FEATURES)))
    labels = {"like": x[:, 0] + rng.normal(size=600) > 0, "hide": x[:, 1] + rng.normal(size=600) > 1.5}
    params = {"objective": "binary", "num_leaves": 7, "verbose": -1, "seed": seed, "num_threads": 1}
    boosters = {h: lgb.train(params, lgb.Dataset(x, y.astype(int)), num_boost_round=20) for h, y in labels.items()}
    return LightGBMRanker(boosters, FEATURES, "tiny")


def test_compiled_heads_score_exactly_as_lightgbm(tmp_path: Path) -> None:
    ranker = tiny_ranker()
    candidates = np.random.default_rng(1).normal(size=(500, len(FEATURES)))
    stock = ranker.predict(candidates)
    assert ranker.compile(tmp_path / "compiled")
    fast = ranker.predict(candidates)
    assert ranker.compiled is not None and set(fast) == {"like", "hide"}
    assert all(np.array_equal(fast[h], stock[h]) for h in stock)
    library = tmp_path / "compiled" / "like-ordered16.o"
    built = library.stat().st_mtime_ns
    assert tiny_ranker().compile(tmp_path / "compiled") and library.stat().st_mtime_ns == built  # reused


def test_compiled_heads_take_any_layout_and_reject_a_wrong_width(tmp_path: Path) -> None:
    ranker = tiny_ranker()
    assert ranker.compile(tmp_path / "compiled") and ranker.compiled is not None
    wide = np.random.default_rng(2).normal(size=(40, 2 * len(FEATURES))).astype(np.float32)
    strided = wide[:, ::2]  # not contiguous, not float64: copied once for all heads
    stock = {h: b.predict(strided.astype(np.float64), num_threads=1) for h, b in ranker.boosters.items()}
    fast = ranker.compiled.predict(strided)
    assert all(np.array_equal(fast[h], stock[h]) for h in stock)
    assert all(len(s) == 0 for s in ranker.compiled.predict(np.empty((0, len(FEATURES)))).values())
    with pytest.raises(ValueError, match="rows must be"):
        ranker.compiled.predict(wide)


def test_when_compiling_fails_the_stock_path_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("LLVM is unhappy")

    monkeypatch.setattr("ranking.models.compiled.lleaves.Model.compile", broken)
    ranker = tiny_ranker()
    assert not ranker.compile(tmp_path / "compiled") and ranker.compiled is None
    assert not list((tmp_path / "compiled").glob("*.o"))  # nothing half-written is left to load


def test_compiled_scores_that_differ_are_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exact = compiled.CompiledHeads.predict

    def off_by_a_hair(self: compiled.CompiledHeads, matrix: np.ndarray) -> dict[str, np.ndarray]:
        return {head: scores + 1e-12 for head, scores in exact(self, matrix).items()}

    monkeypatch.setattr(compiled.CompiledHeads, "predict", off_by_a_hair)
    ranker = tiny_ranker()
    assert not ranker.compile(tmp_path / "compiled") and ranker.compiled is None


def test_the_probe_reaches_the_split_thresholds() -> None:
    ranker = tiny_ranker()
    probe = compiled.probe_matrix(ranker.boosters)
    thresholds = ranker.boosters["like"].trees_to_dataframe()["threshold"].dropna().to_numpy()
    assert probe.shape == (256, len(FEATURES)) and np.isin(probe, thresholds).any()

"""The champion loader compiles a LightGBM ranker's trees unless told not to (the stock reference path)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ranking.models.lightgbm import LightGBMRanker
from serving.feed.ranker import load_family_model
from tests.ranking.models.test_compiled import tiny_ranker


def test_compiled_by_default_and_stock_on_request(tmp_path: Path) -> None:
    tiny_ranker().save(tmp_path / "model")
    compiled = load_family_model(tmp_path / "model", "pixelrank-ranker/1")
    stock = load_family_model(tmp_path / "model", "pixelrank-ranker/1", compile_trees=False)
    assert compiled.family == stock.family == "lightgbm"
    assert isinstance(compiled.model, LightGBMRanker) and compiled.model.compiled is not None
    assert isinstance(stock.model, LightGBMRanker) and stock.model.compiled is None
    rows = np.random.default_rng(0).normal(size=(50, 6))
    fast, reference = compiled.model.predict(rows), stock.model.predict(rows)
    assert all(np.array_equal(fast[head], reference[head]) for head in reference)

"""Decision-path contributions: they add up to the raw score and credit the features TreeSHAP credits."""

from __future__ import annotations

import lightgbm as lgb
import numpy as np

from ranking.models.paths import PathContributions


def booster(x: np.ndarray, y: np.ndarray, rounds: int = 30) -> lgb.Booster:
    params = {"objective": "binary", "num_leaves": 15, "verbose": -1, "seed": 0, "num_threads": 1}
    return lgb.train(params, lgb.Dataset(x, y.astype(int)), num_boost_round=rounds)


def test_contributions_plus_bias_are_the_raw_score() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2_000, 8))
    model = booster(x, x[:, 0] + 0.5 * x[:, 3] * x[:, 4] + rng.normal(size=2_000) > 0)
    paths = PathContributions(model)
    rows = rng.normal(size=(300, 8))
    contributions = paths(rows)
    assert contributions.shape == (300, 8)
    assert np.allclose(contributions.sum(axis=1) + paths.bias, model.predict(rows, raw_score=True), atol=1e-9)


def test_the_strongest_feature_matches_treeshap_where_one_feature_decides() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2_000, 6))
    model = booster(x, 2 * x[:, 2] + 0.3 * x[:, 5] + rng.normal(size=2_000) > 0)
    rows = rng.normal(size=(200, 6))
    rows[:, 2] = rng.choice([-2.0, 2.0], size=200)  # feature 2 far from the boundary: it decides
    shap = model.predict(rows, pred_contrib=True)[:, :-1]
    ours = PathContributions(model)(rows)
    assert (np.abs(ours).argmax(axis=1) == 2).all()
    assert (np.abs(shap).argmax(axis=1) == np.abs(ours).argmax(axis=1)).all()
    assert (np.sign(ours[:, 2]) == np.sign(shap[:, 2])).all()


def test_a_tree_without_splits_is_all_bias() -> None:
    x = np.random.default_rng(2).normal(size=(50, 3))
    model = booster(x, np.zeros(50), rounds=2)  # one class only: single-leaf trees
    paths = PathContributions(model)
    assert np.array_equal(paths(x), np.zeros((50, 3)))
    assert np.allclose(paths.bias, model.predict(x[:1], raw_score=True)[0])

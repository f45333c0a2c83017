"""The ranker trainers on a planted signal: LightGBM heads and the torch MMoE learn it, seeded and early-stopped."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from features.schema import service_columns
from tests.training.test_ranker_dataset import synthetic_frame
from training.ranker.dataset import RankerData, ranker_data
from training.ranker.evaluation import evaluate
from training.ranker.lightgbm_job import LightGBMConfig, fit_lightgbm
from training.ranker.metrics import auc
from training.ranker.torch_job import TorchConfig, fit_torch

COLUMNS = service_columns("ranker_v1")
FAST_LIGHTGBM = LightGBMConfig(rounds=80, early_stopping_rounds=10, learning_rate=0.1)
FAST_TORCH = TorchConfig(epochs=6, batch_size=256, expert_hidden=(32, 16), learning_rate=5e-3)


def area(labels: np.ndarray, scores: np.ndarray) -> float:
    value = auc(labels, scores)
    assert value is not None
    return value


@pytest.fixture(scope="module")
def data() -> RankerData:
    return ranker_data(synthetic_frame(seed=0, requests=500), COLUMNS)


def test_lightgbm_heads_learn_the_planted_signal(data: RankerData) -> None:
    stages: list[str] = []
    ranker = fit_lightgbm(data, FAST_LIGHTGBM, "v", lambda stage, done, total: stages.append(stage))
    assert ranker.heads == ("like", "comment", "save", "share", "hide")
    predictions = ranker.predict(data.test.features)
    assert area(data.test.labels["like"], predictions["like"]) > 0.8
    assert area(data.test.labels["comment"], predictions["comment"]) > 0.7
    assert {"lightgbm like", "lambdarank"} <= set(stages)
    assert all(b.best_iteration < FAST_LIGHTGBM.rounds for b in ranker.boosters.values())  # early stopping
    importance = dict(zip(COLUMNS, ranker.boosters["like"].feature_importance("gain"), strict=True))
    assert max(importance, key=importance.__getitem__) == "ua_interactions_28d"
    evaluation = evaluate(ranker, data.test)
    assert evaluation.ndcg is not None and evaluation.ndcg > evaluation.metrics["ndcg_at_10_logged"] + 0.05
    assert evaluation.metrics["ndcg_at_10_lambdarank"] > evaluation.metrics["ndcg_at_10_logged"] + 0.05
    assert next(iter(evaluation.importance)) == "ua_interactions_28d"


def test_lightgbm_is_deterministic_for_a_seed(data: RankerData) -> None:
    first = fit_lightgbm(data, FAST_LIGHTGBM, "v").predict(data.test.features)
    again = fit_lightgbm(data, FAST_LIGHTGBM, "v").predict(data.test.features)
    other = fit_lightgbm(data, replace(FAST_LIGHTGBM, seed=9), "v").predict(data.test.features)
    assert all(np.array_equal(first[h], again[h]) for h in first)
    assert not np.array_equal(first["like"], other["like"])  # bagging follows the seed


def test_a_head_without_enough_positives_is_not_trained(data: RankerData) -> None:
    rare = int(data.train.labels["hide"].sum()) + 1
    ranker = fit_lightgbm(data, replace(FAST_LIGHTGBM, min_positives=rare, lambdarank=False), "v")
    assert "hide" not in ranker.heads and ranker.lambdarank is None
    assert set(ranker.predict(data.test.features)) == set(ranker.heads)


def test_torch_mtl_loss_decreases_and_learns_the_signal(data: RankerData) -> None:
    fit = fit_torch(data, FAST_TORCH, "v")
    assert fit.losses[-1] < fit.losses[0] * 0.9 and len(fit.losses) == len(fit.validation_losses)
    assert fit.validation_losses[fit.best_epoch] == min(fit.validation_losses)
    predictions = fit.ranker.predict(data.test.features)
    assert area(data.test.labels["like"], predictions["like"]) > 0.8
    assert area(data.test.labels["comment"], predictions["comment"]) > 0.7


def test_torch_mtl_is_reproducible_with_a_seed(data: RankerData) -> None:
    config = replace(FAST_TORCH, epochs=2, experts=1)  # shared bottom
    first, again = fit_torch(data, config, "v"), fit_torch(data, config, "v")
    other = fit_torch(data, replace(config, seed=3), "v")
    assert first.losses == again.losses and first.losses != other.losses
    features = data.test.features
    assert np.array_equal(first.ranker.predict(features)["like"], again.ranker.predict(features)["like"])


def test_torch_early_stopping_keeps_the_best_epoch(data: RankerData) -> None:
    overfit = replace(FAST_TORCH, epochs=12, patience=1, learning_rate=0.05, dropout=0.0)
    fit = fit_torch(data, overfit, "v")
    assert len(fit.losses) <= fit.best_epoch + 2 < 12 + 1
    kept = fit.ranker.predict(data.validation.features)
    assert min(fit.validation_losses) == pytest.approx(
        sum(
            -np.mean(y * np.log(kept[h]) + (1 - y) * np.log(1 - kept[h]))
            for h, y in ((h, data.validation.labels[h]) for h in fit.ranker.heads)
        ),
        rel=1e-4,
    )

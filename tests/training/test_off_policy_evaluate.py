"""A ranker's slate over a logged pool: its value order, arranged as the feed arranges it; the click models."""

from __future__ import annotations

import numpy as np
import pytest

from ranking.pipeline import RankingConfig, feed_selectors
from training.off_policy.evaluate import OPEConfig, estimate_slates, examination, slates
from training.off_policy.logs import ExploredLogs


def logs_of(authors: list[list[int]], slots: int = 2) -> ExploredLogs:
    """Pools of posts 10, 11, … by these authors; slot k showed pool item k, which everyone liked."""
    n, m = len(authors), len(authors[0])
    shown = np.tile(np.arange(slots), (n, 1))
    marginals = np.tile(np.full((slots, slots), 1.0 / m), (n, 1, 1))
    liked = np.ones((n, slots), dtype=np.int8)
    return ExploredLogs(
        tuple(f"r{i}" for i in range(n)),
        np.arange(n, dtype=np.int64),
        np.tile(10 + np.arange(m), (n, 1)),
        np.array(authors, dtype=np.int64),
        np.zeros((n, m, 1)),
        marginals,
        shown,
        {"like": liked},
        np.ones((n, slots), dtype=bool),
        ("x",),
    )


def test_a_slate_is_the_value_order_arranged_by_the_feeds_selectors() -> None:
    logs = logs_of([[1, 1, 1, 2]], slots=3)
    values = np.array([[4.0, 3.0, 2.0, 1.0]])
    np.testing.assert_array_equal(slates(logs, values, 3), [[0, 1, 2]])
    # The feed never runs three posts of one author: the fourth item (another author) moves up.
    arranged = slates(logs, values, 3, feed_selectors(None, RankingConfig()))
    np.testing.assert_array_equal(arranged, [[0, 1, 3]])


def test_a_pool_shorter_than_the_slate_leaves_its_end_empty() -> None:
    logs = logs_of([[1, 2, 3]], slots=2)
    values = np.array([[1.0, -np.inf, -np.inf]])  # padding: no item
    np.testing.assert_array_equal(slates(logs, values, 2), [[0, -1]])


def test_examination_is_reward_over_prediction_with_a_floor() -> None:
    reward = np.array([[1.0, 0.0], [1.0, 0.0]])
    predicted = np.array([[0.5, 0.5], [0.5, 0.5]])
    np.testing.assert_allclose(examination(reward, predicted), [2.0, 2e-3])  # slot 1 earned nothing
    np.testing.assert_allclose(examination(np.zeros((2, 2)), predicted), [1e-3, 1e-3])


@pytest.mark.parametrize(("model", "ips"), [("position-based", 4.0), ("item-position", 8.0)])
def test_the_click_model_decides_the_weights(model: str, ips: float) -> None:
    # Each shown item had a quarter's chance of each slot. Per position its weight is 1 / 0.25; per item,
    # under θ = (2, 2) fitted on the logs, it is θ_k / Σ_j θ_j μ(at j) = 2 / 1. SNIPS undoes either scale.
    logs = logs_of([[1, 2, 3, 4]] * 5)
    found = estimate_slates(logs, logs.shown, logs.reward({"like": 1.0}), np.full((5, 4), 0.5), OPEConfig(model=model))
    assert found["ips"].value == pytest.approx(ips)
    assert found["snips"].value == pytest.approx(2.0)  # on-policy: the logged reward per request
    assert found["dm"].value == pytest.approx(2.0)  # θ_k · ĝ = 2 · 0.5 per slot


def test_an_unknown_click_model_is_refused() -> None:
    with pytest.raises(ValueError, match="click model"):
        OPEConfig(model="cascade")

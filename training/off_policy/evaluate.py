"""A ranker's feed judged off-policy on explored logs: it re-ranks each logged pool, the estimators weigh the shown.

The policy being judged is "this model's value order over the pool the logging ranking explored", the
pool every explored request logged with its feature rows, so any ranker reading the same feature
columns can be replayed on it, and every slate it would serve has a known logging probability. The
reward of a slot is `Σ_h w_h · label_h`, with serving's value weights (`ValueWeights`) or, for the
engagement the simulator counts, a weight of 1 on like, comment, save and share.

The doubly robust estimator's reward model is the logging ranker's heads, `ĝ = Σ_h w_h p_h` of an item
when seen, times a per-slot factor `θ_k = Σ_i r_ik / Σ_i ĝ(shown_ik)` fitted on the same logs (how much
less a lower slot earns, scrolling included): the heads know the item, the logs know the slot.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ranking.model import RankerModel
from ranking.value_model import ValueWeights
from training.off_policy.estimators import ESTIMATORS, Estimate, SlateLogs, TargetPolicy, deterministic_match, estimate
from training.off_policy.logs import ExploredLogs

ENGAGEMENT = {"like": 1.0, "comment": 1.0, "save": 1.0, "share": 1.0}


def value_reward() -> dict[str, float]:
    """Serving's value weights: what the gate judges a slot by."""
    return ValueWeights().as_dict()


@dataclass(frozen=True)
class OPEConfig:
    estimator: str = "snips"  # the one the champion gate reads
    bootstrap: int = 500
    alpha: float = 0.1  # the interval is [alpha/2, 1 - alpha/2]: its low end is the gate's lower bound
    min_requests: int = 100  # fewer explored requests: no off-policy verdict
    seed: int = 0

    def __post_init__(self) -> None:
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"unknown estimator {self.estimator!r}; choose from {', '.join(ESTIMATORS)}")


def pool_values(logs: ExploredLogs, model: RankerModel, weights: Mapping[str, float]) -> np.ndarray:
    """(n, M) `Σ_h w_h p_h` of each pool item by `model` (-inf where the pool has no item)."""
    valid = logs.pool >= 0
    values = np.full(logs.pool.shape, -np.inf)
    if valid.any():
        predictions = model.predict(logs.features[valid])
        total = np.zeros(int(valid.sum()))
        for head, p in predictions.items():
            total += weights.get(head, 0.0) * np.asarray(p, dtype=np.float64)
        values[valid] = total
    return values


def slates(values: np.ndarray, slots: int) -> np.ndarray:
    """(n, K) the pool indices a policy ordering by `values` serves (-1 past the pool's items)."""
    order = np.argsort(-values, axis=1, kind="stable")[:, :slots]
    picked = np.take_along_axis(values, order, axis=1)
    return np.where(np.isfinite(picked), order, -1)


def estimate_slates(
    logs: ExploredLogs,
    slate: np.ndarray,
    reward: np.ndarray,
    reward_model: np.ndarray,
    config: OPEConfig | None = None,
) -> dict[str, Estimate]:
    """Every estimator's value per request of serving `slate` (n, K), rewards (n, K) as logged, and the
    reward model's per-item prediction (n, M) for the doubly robust and direct estimates."""
    served = logs.shown >= 0
    g_shown = _at(reward_model, logs.shown)
    predicted = g_shown.sum(axis=0)
    theta = np.divide(reward.sum(axis=0), predicted, out=np.zeros(logs.slots), where=predicted > 0)
    config = config or OPEConfig()
    target = TargetPolicy(deterministic_match(logs.shown, slate), theta * g_shown, theta * _at(reward_model, slate))
    return estimate(
        SlateLogs(np.where(served, reward, 0.0), logs.propensity, served),
        target,
        bootstrap=config.bootstrap,
        alpha=config.alpha,
        seed=config.seed,
    )


def estimate_model(
    logs: ExploredLogs,
    model: RankerModel,
    logging_model: RankerModel,
    weights: Mapping[str, float],
    config: OPEConfig | None = None,
    *,
    reward_weights: Mapping[str, float] | None = None,
) -> dict[str, Estimate]:
    """`model`'s feed (its value order, by `weights`, over each logged pool), judged by `reward_weights`
    (default: `weights`), the logging model's heads as the reward model."""
    reward_weights = weights if reward_weights is None else reward_weights
    slate = slates(pool_values(logs, model, weights), logs.slots)
    reward_model = np.where(logs.pool >= 0, pool_values(logs, logging_model, reward_weights), 0.0)
    return estimate_slates(logs, slate, logs.reward(reward_weights), reward_model, config)


def _at(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """values[i, index[i, k]] (0 where index is -1)."""
    picked = np.take_along_axis(values, np.maximum(index, 0), axis=1)
    return np.where(index >= 0, picked, 0.0)

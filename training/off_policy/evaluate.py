"""A ranker's feed judged off-policy on explored logs: it re-ranks each logged pool, the estimators weigh the shown.

The policy being judged is "this model's value order over the pool the logging ranking explored,
arranged the way the feed arranges it" (`slates`: the feed's own selectors, topic spread and author
runs, `ranking.pipeline.feed_selectors`). Every explored request logged its pool with the authors and
feature rows, so any ranker reading the same feature columns can be replayed on it, and every item it
would serve has a known logging probability. The reward of a slot is `Σ_h w_h · label_h`, with
serving's value weights (`ValueWeights`) or, for the engagement the simulator counts, a weight of 1 on
like, comment, save and share.

The reward model is the logging ranker's heads, `ĝ = Σ_h w_h p_h` of an item when seen, times a
per-slot factor `θ_k = Σ_i r_ik / Σ_i ĝ(shown_ik)` fitted on the same logs (how much less a lower slot
earns, scrolling included): the heads know the item, the logs know the slot. The same θ is the
examination of the position-based click model the weights assume by default (`OPEConfig.model`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from candidates.index import PostIndex
from candidates.two_tower.runtime import latest_version
from ranking.embeddings import IndexEmbeddings
from ranking.frame import Frame
from ranking.model import RankerModel
from ranking.pipeline import RankingConfig, feed_selectors
from ranking.selectors.base import Selector
from ranking.types import RankingContext, RankingRequest, ViewerFacts
from ranking.value_model import ValueWeights
from training.off_policy.estimators import (
    ESTIMATORS,
    Estimate,
    SlateLogs,
    TargetPolicy,
    deterministic_match,
    estimate,
    position_based,
)
from training.off_policy.logs import ExploredLogs

ENGAGEMENT = {"like": 1.0, "comment": 1.0, "save": 1.0, "share": 1.0}
CLICK_MODELS = ("position-based", "item-position")


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
    model: str = "position-based"  # the click model the weights assume, or "item-position"

    def __post_init__(self) -> None:
        if self.estimator not in ESTIMATORS:
            raise ValueError(f"unknown estimator {self.estimator!r}; choose from {', '.join(ESTIMATORS)}")
        if self.model not in CLICK_MODELS:
            raise ValueError(f"unknown click model {self.model!r}; choose from {', '.join(CLICK_MODELS)}")


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


def slates(logs: ExploredLogs, values: np.ndarray, slots: int, selectors: Sequence[Selector] = ()) -> np.ndarray:
    """(n, K) the pool indices a policy serves (-1 past the pool's items): each pool in the order of
    `values`, arranged by `selectors` (the feed's own, `ranking.pipeline.feed_selectors`), its first K."""
    out = np.full((len(logs), slots), -1, dtype=np.int64)
    order = np.argsort(-values, axis=1, kind="stable")
    for i in range(len(logs)):
        rows = order[i][np.isfinite(values[i, order[i]])]
        if selectors:
            viewer = int(logs.user_ids[i])
            context = RankingContext(RankingRequest(viewer), 0.0, ViewerFacts(viewer))
            frame = Frame(
                (),
                logs.pool[i, rows],
                logs.authors[i, rows],
                np.zeros(len(rows), dtype=np.int64),
                np.zeros((len(rows), 0)),
                score=values[i, rows],
            )
            for selector in selectors:
                kept = selector(context, frame)
                frame, rows = frame.take(kept), rows[kept]
        out[i, : min(slots, len(rows))] = rows[:slots]
    return out


def feed_arrangement(home: Path) -> list[Selector]:
    """The feed's selectors as serving builds them over `home`: topic spread on the newest two-tower's
    post index (none before the first two-tower), author runs."""
    folder = latest_version(home)
    embeddings = IndexEmbeddings(PostIndex.load(folder / "index")) if folder is not None else None
    return feed_selectors(embeddings, RankingConfig())


def estimate_slates(
    logs: ExploredLogs,
    slate: np.ndarray,
    reward: np.ndarray,
    reward_model: np.ndarray,
    config: OPEConfig | None = None,
) -> dict[str, Estimate]:
    """Every estimator's value per request of serving `slate` (n, K), rewards (n, K) as logged, and the
    reward model's per-item prediction (n, M) for the doubly robust and direct estimates."""
    config = config or OPEConfig()
    served = logs.shown >= 0
    g_shown = _at(reward_model, logs.shown)
    theta = examination(reward, g_shown)
    rewards = np.where(served, reward, 0.0)
    hat_shown, hat_target = theta * g_shown, theta * _at(reward_model, slate)
    if config.model == "position-based":
        propensity, probability, examined = position_based(logs.marginals, logs.shown, slate, theta)
        slate_logs = SlateLogs(rewards, propensity, served, examination=theta)
        target = TargetPolicy(probability, hat_shown, hat_target, examined)
    else:
        slate_logs = SlateLogs(rewards, logs.propensity, served)
        target = TargetPolicy(deterministic_match(logs.shown, slate), hat_shown, hat_target)
    return estimate(slate_logs, target, bootstrap=config.bootstrap, alpha=config.alpha, seed=config.seed)


def examination(reward: np.ndarray, predicted: np.ndarray) -> np.ndarray:
    """(K,) θ_k = Σ_i r_ik / Σ_i ĝ(shown_ik): how much of what the reward model expects a slot earns. A
    slot no reward reached keeps a sliver of the best one's, so every shown item stays weighable."""
    totals = predicted.sum(axis=0)
    theta = np.divide(reward.sum(axis=0), totals, out=np.zeros(len(totals)), where=totals > 0)
    top = float(theta.max()) if theta.max() > 0 else 1.0
    floored: np.ndarray = np.maximum(theta, 1e-3 * top)
    return floored


def estimate_model(
    logs: ExploredLogs,
    model: RankerModel,
    logging_model: RankerModel,
    weights: Mapping[str, float],
    config: OPEConfig | None = None,
    *,
    reward_weights: Mapping[str, float] | None = None,
    selectors: Sequence[Selector] = (),
) -> dict[str, Estimate]:
    """`model`'s feed (its value order, by `weights`, over each logged pool, arranged by `selectors`),
    judged by `reward_weights` (default: `weights`), the logging model's heads as the reward model."""
    reward_weights = weights if reward_weights is None else reward_weights
    slate = slates(logs, pool_values(logs, model, weights), logs.slots, selectors)
    reward_model = np.where(logs.pool >= 0, pool_values(logs, logging_model, reward_weights), 0.0)
    return estimate_slates(logs, slate, logs.reward(reward_weights), reward_model, config)


def _at(values: np.ndarray, index: np.ndarray) -> np.ndarray:
    """values[i, index[i, k]] (0 where index is -1)."""
    picked = np.take_along_axis(values, np.maximum(index, 0), axis=1)
    return np.where(index >= 0, picked, 0.0)

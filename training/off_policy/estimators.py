"""Slate off-policy estimators: IPS, SNIPS, DR and DM under the item-position or the position-based model.

The logs are feed slates of K positions served by a stochastic logging policy whose item-position
marginals μ(a at k) are known. Two click models say how a slate's reward decomposes (Li et al. 2018,
"Offline Evaluation of Ranking Policies with Click Models"):

- item-position: the reward at position k depends only on the item there and on k (obp's
  `SlateIndependentIPS`). Each position is reweighted on its own, w_ik = π(shown_ik at k) / μ(shown_ik at k).
- position-based: the reward at k is θ_k · ρ(item), an examination probability times an attraction.
  Then only *which* items a slate holds matters, each weighed by where it sits, so a shown item is
  reweighted wherever the target puts it: w_ik = Σ_j θ_j π(shown_ik at j) / Σ_j θ_j μ(shown_ik at j).
  The weights are per item rather than per slot, so a logged slate that holds the target's items in
  another order still counts: far more evidence per request when the model holds.

The caller forms the weights' numerator and denominator (`position_based` does it for the second model);
the estimators are the same for both:

    ips    V = 1/n Σ_i Σ_k w_ik r_ik
    snips  V = Σ_k Σ_i w_ik r_ik / Σ_i w_ik                      (item-position: self-normalised per position)
           V = Σ_i Σ_k w_ik r_ik / Σ_i c_i,  c_i = Σ_k θ_k w_ik / Σ_j θ_j [the target fills j]   (position-based)
    dr     V = 1/n Σ_i Σ_k [r̂π_ik + w_ik (r_ik − r̂_ik)]          (r̂ the reward model at the shown item,
    dm     V = 1/n Σ_i Σ_k r̂π_ik                                   r̂π its expectation under π at k)

Under each model's assumption, IPS and DR are unbiased when μ > 0 wherever π puts mass, and each SNIPS
normaliser has expectation 1 (per position, or c_i per request); SNIPS trades a small bias for bounded
weights; DM is as good as the reward model. The effective sample size, (Σ w)² / Σ w² per position, says
how many requests the reweighted sum is worth; the reported ESS averages it over positions.

Intervals are a nonparametric bootstrap over requests (a request's positions share a viewer, so they
are resampled together). Every estimator is a function of column sums of one (n, q) per-request matrix,
so a resample is a count vector and all resamples are one matrix product.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

ESTIMATORS = ("ips", "snips", "dr", "dm")
_MODEL_BASED = ("dr", "dm")
_BOOTSTRAP_CELLS = 1 << 22  # resample counts held at once (B × n), so memory stays bounded for large logs


@dataclass(frozen=True)
class SlateLogs:
    reward: np.ndarray  # (n, K) float: reward observed at each served position (0 where not viewed)
    # (n, K) float: the logging policy's μ(shown item at its position k), or under the position-based model
    # Σ_j θ_j μ(shown item at j); ignored where not served
    propensity: np.ndarray
    served: np.ndarray  # (n, K) bool: an item was served at (i, k)
    examination: np.ndarray | None = None  # (K,) θ: the position-based model; None: item-position


@dataclass(frozen=True)
class TargetPolicy:
    # (n, K): π(the *shown* item at k), for a deterministic target 1{target_k == shown_k}; under the
    # position-based model Σ_j θ_j π(shown item at j)
    probability: np.ndarray
    reward_hat_shown: np.ndarray | None = None  # (n, K): reward model's prediction for the shown item at k (DR)
    # (n, K): Σ over items of π(item at k)·r̂(item, k); for a deterministic target, r̂ of the target's item at k
    # (0 if none)
    reward_hat_target: np.ndarray | None = None
    # (n,) position-based model: Σ_j θ_j over the slots the target fills (None: all K), the expectation
    # of Σ_k θ_k w_ik that SNIPS normalises by
    examined: np.ndarray | None = None


@dataclass(frozen=True)
class Estimate:
    estimator: str  # "ips", "snips", "dr", "dm"
    value: float  # estimated reward per request (slate), summed over positions
    low: float  # bootstrap lower quantile (alpha / 2)
    high: float  # bootstrap upper quantile (1 - alpha / 2)
    ess: float  # effective sample size in requests: mean over positions of (Σ w)² / Σ w²
    n: int  # requests

    def as_dict(self) -> dict[str, float | int | str]:
        return {
            "estimator": self.estimator,
            "value": self.value,
            "low": self.low,
            "high": self.high,
            "ess": self.ess,
            "n": self.n,
        }


def estimate(
    logs: SlateLogs,
    target: TargetPolicy,
    estimators: Sequence[str] | None = None,
    *,
    bootstrap: int = 500,
    alpha: float = 0.1,
    seed: int = 0,
) -> dict[str, Estimate]:
    """Each asked-for estimator's value of `target` per request, with a bootstrap interval.

    "dr" and "dm" need both reward-model arrays. `estimators=None` asks for every one the target supports
    (without a reward model, "ips" and "snips"); naming "dr" or "dm" without one is a ValueError."""
    asked = list(dict.fromkeys(ESTIMATORS if estimators is None else estimators))
    unknown = [name for name in asked if name not in ESTIMATORS]
    if unknown:
        raise ValueError(f"unknown estimator(s) {', '.join(unknown)}; expected some of {', '.join(ESTIMATORS)}")
    if bootstrap < 0:
        raise ValueError(f"bootstrap must be non-negative (got {bootstrap})")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha {alpha} is outside (0, 1)")
    no_model = target.reward_hat_shown is None or target.reward_hat_target is None
    if no_model and estimators is None:
        asked = [name for name in asked if name not in _MODEL_BASED]
    elif no_model and any(name in _MODEL_BASED for name in asked):
        raise ValueError("dr and dm need both reward_hat_shown and reward_hat_target")

    served, reward, weight = _weights(logs, target)
    n, k = weight.shape
    rhat_shown, rhat_target = np.zeros((n, k)), np.zeros((n, k))
    if target.reward_hat_shown is not None and target.reward_hat_target is not None:
        rhat_shown = np.where(served, _matrix(target.reward_hat_shown, "reward_hat_shown", (n, k)), 0.0)
        rhat_target = _matrix(target.reward_hat_target, "reward_hat_target", (n, k))
    # Per-request columns whose sums give every estimator: [ips, dr, dm, snips numerators, snips denominators].
    weighted = weight * reward
    direct = rhat_target.sum(axis=1)
    numerators, denominators = weighted, weight
    if logs.examination is not None:  # one normaliser per request: its weights are per item, not per slot
        theta = _matrix(logs.examination, "examination", (k,))
        examined = np.full(n, theta.sum()) if target.examined is None else _matrix(target.examined, "examined", (n,))
        numerators = weighted.sum(axis=1, keepdims=True)
        denominators = np.divide((weight * theta).sum(axis=1), examined, out=np.zeros(n), where=examined > 0)[:, None]
    columns = np.column_stack(
        (weighted.sum(axis=1), direct + (weight * (reward - rhat_shown)).sum(axis=1), direct, numerators, denominators)
    )
    k_snips = numerators.shape[1]

    point = _values(columns.sum(axis=0)[None, :], n, k_snips)
    samples = _bootstrap(columns, n, k_snips, bootstrap, seed)
    ess = _ess(weight)
    out: dict[str, Estimate] = {}
    for name in asked:
        value = float(point[name][0])
        if bootstrap:
            low, high = (float(q) for q in np.quantile(samples[name], [alpha / 2, 1 - alpha / 2]))
        else:
            low = high = value
        out[name] = Estimate(name, value, low, high, ess, n)
    return out


def deterministic_match(shown: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(n, K) float: 1.0 where the target serves the shown item at that position (ids; -1 = no item)."""
    shown, target = np.asarray(shown), np.asarray(target)
    if shown.shape != target.shape:
        raise ValueError(f"shown {shown.shape} and target {target.shape} slates differ in shape")
    match: np.ndarray = ((shown == target) & (shown >= 0)).astype(np.float64)
    return match


def position_based(
    marginals: np.ndarray, shown: np.ndarray, target: np.ndarray, examination: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The position-based model's (propensity, probability, examined) for a deterministic target: from
    `marginals` (n, K, K) μ(the item shown at k lands at j), the `shown` and `target` slates (n, K) of
    ids (-1: no item) and the examination θ (K,), of any scale."""
    theta = np.asarray(examination, dtype=np.float64)
    marginals, shown, target = np.asarray(marginals, dtype=np.float64), np.asarray(shown), np.asarray(target)
    k = len(theta)
    if shown.shape != target.shape or shown.shape[1:] != (k,) or marginals.shape != (*shown.shape, k):
        raise ValueError(
            f"marginals {marginals.shape} must be (n, K, K) and shown {shown.shape}, target {target.shape} "
            f"(n, K), K={k}"
        )
    match = (shown[:, :, None] == target[:, None, :]) & (shown >= 0)[:, :, None]
    return marginals @ theta, match @ theta, (target >= 0) @ theta


def _weights(logs: SlateLogs, target: TargetPolicy) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validated (served, reward, importance weight), all (n, K), zero where nothing was served."""
    reward = np.asarray(logs.reward, dtype=np.float64)
    if reward.ndim != 2:
        raise ValueError(f"reward must be (n, K) (got shape {reward.shape})")
    if reward.shape[0] == 0:
        raise ValueError("no logged requests")
    served = np.asarray(logs.served, dtype=bool)
    if served.shape != reward.shape:
        raise ValueError(f"served has shape {served.shape}, expected {reward.shape} like reward")
    propensity = _matrix(logs.propensity, "propensity", reward.shape)
    probability = _matrix(target.probability, "probability", reward.shape)
    bad = served & ~(propensity > 0)  # NaN propensities fail too
    if bad.any():
        row, position = (int(x) for x in np.argwhere(bad)[0])
        raise ValueError(
            f"propensity must be positive where an item was served: row {row}, position {position} "
            f"has {propensity[row, position]}"
        )
    # np.where rather than a product: unserved cells may hold NaN or 0 propensities that must not leak.
    weight = np.where(served, probability / np.where(served, propensity, 1.0), 0.0)
    return served, np.where(served, reward, 0.0), weight


def _matrix(values: np.ndarray, name: str, shape: tuple[int, ...]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.shape != shape:
        raise ValueError(f"{name} has shape {array.shape}, expected {shape} like reward")
    return array


def _values(sums: np.ndarray, n: int, k: int) -> dict[str, np.ndarray]:
    """Every estimator from (B, 3 + 2K) column sums over B (re)samples of n requests."""
    numerators, denominators = sums[:, 3 : 3 + k], sums[:, 3 + k :]
    # A position no logged slate shares with the target carries no evidence: it adds 0, not 0 / 0.
    ratio = np.divide(numerators, denominators, out=np.zeros_like(numerators), where=denominators > 0)
    return {"ips": sums[:, 0] / n, "dr": sums[:, 1] / n, "dm": sums[:, 2] / n, "snips": ratio.sum(axis=1)}


def _bootstrap(columns: np.ndarray, n: int, k: int, replicates: int, seed: int) -> dict[str, np.ndarray]:
    """(replicates,) values per estimator, each from n requests drawn with replacement."""
    if replicates == 0:
        return {}
    rng = np.random.default_rng(seed)
    chunk = max(1, min(replicates, _BOOTSTRAP_CELLS // n))
    parts: list[dict[str, np.ndarray]] = []
    for start in range(0, replicates, chunk):
        b = min(chunk, replicates - start)
        rows = rng.integers(0, n, size=(b, n))
        # How often each request was drawn in each replicate: one bincount over offset row ids.
        counts = np.bincount((rows + n * np.arange(b)[:, None]).ravel(), minlength=b * n).reshape(b, n)
        parts.append(_values(counts.astype(np.float64) @ columns, n, k))
    return {name: np.concatenate([part[name] for part in parts]) for name in parts[0]}


def _ess(weight: np.ndarray) -> float:
    total = weight.sum(axis=0)
    squares = (weight**2).sum(axis=0)
    used = total > 0
    if not used.any():
        return 0.0
    return float(np.mean(total[used] ** 2 / squares[used]))

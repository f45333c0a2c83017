"""The heuristic ranker, used when no trained model is registered: recency × engagement rate × affinity.

It is a `RankerModel` like the trained ones (one head, `like`), so it goes through the same scorer,
value model and explanations. Its factors multiply, so their logarithms add up: `contributions`
returns each feature's log factor relative to a typical post (a day old, prior engagement rate, no
affinity), which makes "the strongest reason" comparable to LightGBM's contributions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from features.schema import PRIOR_RATE

FEATURES = ("post_age_hours", "post_engagement_rate", "ua_interactions_28d", "ua_follows", "ua_hides_28d")


@dataclass(frozen=True)
class HeuristicConfig:
    half_life_hours: float = 24.0  # recency halves every this many hours
    typical_age_hours: float = 24.0  # the age whose recency contributes nothing
    follow_boost: float = 1.0  # followed authors' posts count (1 + boost) times
    hide_penalty: float = 0.5  # each of the user's recent hides of the author multiplies by this


class HeuristicModel:
    heads: tuple[str, ...] = ("like",)
    feature_names: tuple[str, ...] = FEATURES
    version = "heuristic"

    def __init__(self, config: HeuristicConfig | None = None) -> None:
        self.config = config or HeuristicConfig()

    def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
        log_p = self._log_factors(features).sum(axis=1) + np.log(PRIOR_RATE) + self._log_typical_recency()
        return {"like": np.clip(np.exp(log_p), 0.0, 1.0)}

    def contributions(self, features: np.ndarray, head: str) -> np.ndarray | None:
        return self._log_factors(features) if head == "like" else None

    def _log_factors(self, features: np.ndarray) -> np.ndarray:
        """(N, 5) log factors relative to a typical post, columns in `FEATURES` order."""
        x = np.asarray(features, dtype=np.float64)
        age, rate, interactions, follows, hides = (x[:, j] for j in range(len(FEATURES)))
        c = self.config
        return np.column_stack(
            [
                -np.log(2.0) * (np.maximum(age, 0.0) - c.typical_age_hours) / c.half_life_hours,
                np.log(np.maximum(rate, 1e-6) / PRIOR_RATE),
                np.log1p(np.log1p(np.maximum(interactions, 0.0))),
                np.log1p(c.follow_boost * np.clip(follows, 0.0, 1.0)),
                np.maximum(hides, 0.0) * np.log(c.hide_penalty),
            ]
        )

    def _log_typical_recency(self) -> float:
        return float(-np.log(2.0) * self.config.typical_age_hours / self.config.half_life_hours)

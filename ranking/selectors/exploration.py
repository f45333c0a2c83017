"""`Exploration`: on a small share of requests, the top slots are a Plackett–Luce draw from the ranked head.

Off-policy evaluation (`training.off_policy`) can judge a policy that would show other posts only
where the served one *might* have shown them, with a known probability. So on `rate` of the requests
the first `slots` positions are drawn without replacement from the ranked list's first `pool` items,
each with weight exp(z / temperature), z the item's value score standardised over the pool: a low
temperature keeps close to the ranked order, a high one shuffles the pool. The draw never leaves the
pool, so an explored page is bounded by the ranked head: a post the ranking put beyond `pool` is never
promoted. Standardising makes the temperature mean the same for every scorer's scale.

What was drawn is recorded on the context (`Explored`): the pool with its authors and feature rows, so
a later policy can re-rank and re-arrange the same pool offline, the slate, and each shown item's exact
probability of every slot (`exploration_math.marginals`): all an estimator weighs a shown item by. The
impressions log it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from features import logged_row
from ranking import exploration_math
from ranking.frame import Frame
from ranking.types import RankingContext


@dataclass(frozen=True)
class ExplorationConfig:
    rate: float = 0.0  # share of requests explored (0: off)
    temperature: float = 1.0  # in standard deviations of the pool's value scores
    slots: int = 10  # the first positions drawn
    pool: int = 20  # from this many ranked items
    seed: int | None = None  # None: fresh entropy per request; set: reproducible per (viewer, time)

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"exploration rate {self.rate} is outside [0, 1]")
        if not self.temperature > 0:
            raise ValueError(f"exploration temperature {self.temperature} must be positive")
        if self.slots < 1 or self.pool < self.slots:
            raise ValueError(f"exploration needs 1 <= slots <= pool (got slots={self.slots}, pool={self.pool})")


@dataclass(frozen=True)
class Explored:
    """One explored request: the pool in ranked order, the drawn slate and the propensities."""

    post_ids: np.ndarray  # (M,) the pool, in the ranking's order
    author_ids: np.ndarray  # (M,) their authors (what author diversity arranges by)
    shown: np.ndarray  # (K,) pool index served at each slot
    marginals: np.ndarray  # (K, K) P(the item shown at slot s lands at slot k) under the draw
    features: np.ndarray  # (M, F) the pool's feature rows, as scored
    feature_columns: tuple[str, ...]
    temperature: float

    def payload(self, post_id: int, position: int) -> dict[str, Any]:
        """What the impression at `position` logs: its propensity; the first slot also the whole draw."""
        if position >= self.marginals.shape[1]:
            return {}
        out: dict[str, Any] = {"explored": True}
        slot = np.flatnonzero(self.post_ids[self.shown] == post_id)
        if len(slot):
            out["propensity"] = float(self.marginals[slot[0], position])
        if position == 0:
            out["exploration"] = {
                "pool": self.post_ids.tolist(),
                "authors": self.author_ids.tolist(),
                "shown": self.shown.tolist(),
                "marginals": logged_row.encode(slot_columns(self.marginals.shape[1]), self.marginals.ravel()),
                "features": logged_row.encode(self.feature_columns, self.features.ravel()),
                "temperature": self.temperature,
            }
        return out

    @classmethod
    def from_payload(cls, logged: Mapping[str, Any], columns: tuple[str, ...]) -> Explored | None:
        """The draw as the first slot's impression logged it (None: logged under other feature columns, or
        in an older form without the authors or with the whole pool's marginals)."""
        pool = np.asarray(logged["pool"], dtype=np.int64)
        authors = np.asarray(logged.get("authors", ()), dtype=np.int64)
        shown = np.asarray(logged["shown"], dtype=np.int64)
        marginals = logged_row.decode_rows(logged["marginals"], slot_columns(len(shown)))
        features = logged_row.decode_rows(logged["features"], columns)
        if marginals is None or features is None or len(marginals) != len(shown):
            return None
        if len(features) != len(pool) or len(authors) != len(pool):
            return None
        return cls(pool, authors, shown, marginals, features, columns, float(logged["temperature"]))


class Exploration:
    name = "exploration"

    def __init__(self, config: ExplorationConfig) -> None:
        self.config = config

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        order = np.arange(len(frame))
        config = self.config
        rng = self._rng(context)
        if config.rate <= 0 or len(frame) < 2 or rng.random() >= config.rate:
            return order
        pool = min(config.pool, len(frame))
        logits = standardised(frame.score[:pool]) / config.temperature
        shown = exploration_math.sample(logits, config.slots, rng)
        rest = np.setdiff1d(order, shown, assume_unique=True)  # the pool's undrawn and the tail, in ranked order
        features = frame.features[:pool] if len(frame.features) == len(frame) else np.zeros((pool, 0))
        context.explored = Explored(
            frame.post_id[:pool].copy(),
            frame.author_id[:pool].copy(),
            shown,
            exploration_math.marginals(logits, config.slots, anchors=shown),
            features,
            frame.feature_columns,
            config.temperature,
        )
        return np.concatenate((shown, rest))

    def _rng(self, context: RankingContext) -> np.random.Generator:
        if self.config.seed is None:
            return np.random.default_rng()
        return np.random.default_rng([self.config.seed, context.request.user_id, int(context.now_ts * 1000)])


def slot_columns(slots: int) -> tuple[str, ...]:
    return tuple(f"slot_{k}" for k in range(slots))


def standardised(scores: np.ndarray) -> np.ndarray:
    """z-scores (all zero when the scores are all equal)."""
    spread = float(scores.std())
    return (scores - scores.mean()) / spread if spread > 0 else np.zeros(len(scores))

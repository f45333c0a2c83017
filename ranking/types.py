"""Value types the ranking stages pass along: the request and the viewer's facts.

A request flows through the stages as one `RankingContext` (what is known about the viewer, and
what fell back) and one `ranking.frame.Frame` of candidates that each stage fills, masks or reorders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ranking.degraded import Degraded
from ranking.scorers.base import Scorer
from ranking.value_model import ValueWeights
from social_core.preferences import RankingPreferences
from social_core.types import PostId, UserId

if TYPE_CHECKING:
    from ranking.selectors.exploration import Explored


@dataclass(frozen=True)
class RankingRequest:
    """One feed/explore request: whose, how many items, when, and (for experiments) value-model weights."""

    user_id: UserId
    limit: int = 30
    now_ts: float | None = None  # epoch seconds; None: wall clock
    per_source: int = 500  # candidates asked of each source
    weight_overrides: Mapping[str, float] | None = None
    preferences: RankingPreferences | None = None  # the user's feed knobs (`PreferenceBoost`); None: as ranked


@dataclass
class ViewerFacts:
    """What the sources and filters need about the viewer (`ranking.hydrators.viewer`, before the sources)."""

    user_id: UserId
    blocked: set[UserId] = field(default_factory=set)  # either way
    followed: set[UserId] = field(default_factory=set)
    followers_of: dict[UserId, int] = field(default_factory=dict)  # each followed account's follower count
    hidden_posts: set[PostId] = field(default_factory=set)
    hides_by_author: dict[UserId, int] = field(default_factory=dict)
    seen: set[PostId] = field(default_factory=set)


@dataclass
class RankingContext:
    """The request plus what the hydrators learnt and every fallback taken on the way (`degraded`)."""

    request: RankingRequest
    now_ts: float
    viewer: ViewerFacts
    weights: ValueWeights = field(default_factory=ValueWeights)  # the request's, overrides applied
    scorer: Scorer | None = None  # the one that scored (set by the scoring stage)
    degraded: list[Degraded] = field(default_factory=list)
    explored: Explored | None = None  # what the exploration stage drew, when it explored this request

    def degrade(self, reason: Degraded) -> None:
        if reason not in self.degraded:  # two sources failing is one reason; `failed_sources` names them
            self.degraded.append(reason)


def ids_in(values: np.ndarray, ids: set[int] | dict[int, int]) -> np.ndarray:
    """A mask over `values`: which are among `ids` (whole-array, not a membership test per row)."""
    if not ids or not len(values):
        return np.zeros(len(values), dtype=bool)
    return np.isin(values, np.fromiter(ids, dtype=np.int64, count=len(ids)))

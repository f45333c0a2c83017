"""Value types the ranking stages pass along: the request, the viewer's facts, the candidate being ranked.

A request flows through the stages as one `RankingContext` (what is known about the viewer, and
what fell back) and a list of `ScoredCandidate`s that each stage enriches, shrinks or reorders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from candidates.types import Candidate
from social_core.types import PostId, UserId


@dataclass(frozen=True)
class RankingRequest:
    """One feed/explore request: whose, how many items, when, and (for experiments) value-model weights."""

    user_id: UserId
    limit: int = 30
    now_ts: float | None = None  # epoch seconds; None: wall clock
    per_source: int = 500  # candidates asked of each source
    weight_overrides: Mapping[str, float] | None = None


@dataclass
class ViewerFacts:
    """What the filters need about the viewer, loaded for the candidates' authors only."""

    user_id: UserId
    blocked: set[UserId] = field(default_factory=set)  # either way
    followed: set[UserId] = field(default_factory=set)
    hidden_posts: set[PostId] = field(default_factory=set)
    hides_by_author: dict[UserId, int] = field(default_factory=dict)
    seen: set[PostId] = field(default_factory=set)


@dataclass
class RankingContext:
    """The request plus what the hydrators learnt and every fallback taken on the way (`degraded`)."""

    request: RankingRequest
    now_ts: float
    viewer: ViewerFacts
    feature_columns: tuple[str, ...] = ()  # names of `ScoredCandidate.features`, set by the feature hydrator
    degraded: list[str] = field(default_factory=list)

    def degrade(self, reason: str) -> None:
        self.degraded.append(reason)


@dataclass
class ScoredCandidate:
    """A candidate post on its way through the pipeline; later stages fill the later fields."""

    post_id: PostId
    author_id: UserId | None
    sources: dict[str, float]
    author_name: str | None = None
    author_private: bool = False
    deleted: bool = False  # deleted, or not in the database at all
    features: np.ndarray | None = None  # one row of the ranker's feature matrix
    score: float = 0.0  # the value model's: Σ weight · probability over the heads
    head: str = "like"  # the head with the largest positive term (`value_model.top_heads`)
    reason: str = ""

    @classmethod
    def of(cls, candidate: Candidate) -> ScoredCandidate:
        return cls(candidate.post_id, candidate.author_id, dict(candidate.sources))


@dataclass(frozen=True)
class FilterResult:
    kept: list[ScoredCandidate]
    removed: list[ScoredCandidate]

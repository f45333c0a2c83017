"""The filter contract, and `partition`, which every filter uses to split by one predicate."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from ranking.types import FilterResult, RankingContext, ScoredCandidate


class Filter(Protocol):
    name: str

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> FilterResult: ...


def partition(candidates: Sequence[ScoredCandidate], remove: Callable[[ScoredCandidate], bool]) -> FilterResult:
    """Keep the candidates `remove` rejects, in order; the others go to `removed`."""
    kept: list[ScoredCandidate] = []
    removed: list[ScoredCandidate] = []
    for candidate in candidates:
        (removed if remove(candidate) else kept).append(candidate)
    return FilterResult(kept, removed)

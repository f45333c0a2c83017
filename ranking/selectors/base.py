"""The selector contract: candidates sorted by score in, the order to serve out (possibly fewer)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ranking.types import RankingContext, ScoredCandidate


class Selector(Protocol):
    name: str

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> list[ScoredCandidate]: ...

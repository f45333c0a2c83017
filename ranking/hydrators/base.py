"""The hydrator contract: fill facts into the context or the candidates, in place."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ranking.types import RankingContext, ScoredCandidate


class Hydrator(Protocol):
    name: str

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> None: ...

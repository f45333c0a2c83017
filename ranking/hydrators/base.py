"""The hydrator contracts: fill facts into the context or columns of the frame, in place; a query hydrator
runs before the sources and knows only the request."""

from __future__ import annotations

from typing import Protocol

from ranking.frame import Frame
from ranking.types import RankingContext


class Hydrator(Protocol):
    name: str

    def __call__(self, context: RankingContext, frame: Frame) -> None: ...


class QueryHydrator(Protocol):
    name: str

    def __call__(self, context: RankingContext) -> None: ...

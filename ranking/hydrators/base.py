"""The hydrator contract: fill facts into the context or columns of the frame, in place."""

from __future__ import annotations

from typing import Protocol

from ranking.frame import Frame
from ranking.types import RankingContext


class Hydrator(Protocol):
    name: str

    def __call__(self, context: RankingContext, frame: Frame) -> None: ...

"""The filter contract: a frame in, the mask of the rows it removes out (the pipeline counts and applies it)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ranking.frame import Frame
from ranking.types import RankingContext


class Filter(Protocol):
    name: str

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        """(len(frame),) bool: True for each row this filter removes."""
        ...

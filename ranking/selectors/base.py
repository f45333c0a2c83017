"""The selector contract: a frame sorted by score in, the order to serve out (row indices, possibly fewer)."""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ranking.frame import Frame
from ranking.types import RankingContext


class Selector(Protocol):
    name: str

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray: ...

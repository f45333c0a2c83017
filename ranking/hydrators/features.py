"""The ranker's features for every candidate, from the online store (`features.hydrate.Hydrator`).

Fail-open: when the online store is unreachable every candidate gets the documented defaults
(`features.schema.default`) and the response is marked degraded; the ranking is then poorer, not gone.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from features.schema import default
from ranking.degraded import Degraded
from ranking.frame import Frame
from ranking.types import RankingContext

log = logging.getLogger("pixelrank.ranking")


class FeatureReader(Protocol):
    """What `features.hydrate.Hydrator` offers: its column names and one matrix per call."""

    columns: list[str]

    def __call__(
        self, user_id: int, post_ids: Sequence[int], author_ids: Sequence[int], request_ts: float | None = None
    ) -> np.ndarray: ...


class FeatureHydrator:
    name = "features"

    def __init__(self, reader: FeatureReader) -> None:
        self.reader = reader
        self.columns = tuple(reader.columns)
        self.defaults = np.array([default(c) for c in self.columns])

    def __call__(self, context: RankingContext, frame: Frame) -> None:
        frame.feature_columns = self.columns
        try:
            posts, authors = frame.post_id.tolist(), frame.author_id.tolist()
            matrix = self.reader(context.viewer.user_id, posts, authors, context.now_ts)
        except Exception:
            log.exception("feature hydration failed for user %s", context.viewer.user_id)
            context.degrade(Degraded.ONLINE_STORE_UNREACHABLE)
            matrix = np.tile(self.defaults, (len(frame), 1))
        frame.features = np.asarray(matrix, dtype=np.float64).reshape(len(frame), len(self.columns))

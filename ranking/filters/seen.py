"""Posts the viewer was shown recently (the last N impressions kept in Redis by `ranking.seen`)."""

from __future__ import annotations

import numpy as np

from ranking.frame import Frame
from ranking.types import RankingContext, ids_in


class SeenFilter:
    name = "seen"

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        return ids_in(frame.post_id, context.viewer.seen)

""" "See less": a hidden post never comes back, and an author hidden `author_hides` times is dropped.

Fewer hides only down-weight the author (the rankers read `ua_hides_28d`; the heuristic halves per
hide), which is what "see less" promises rather than "see none".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ranking.frame import Frame
from ranking.types import RankingContext, ids_in


@dataclass(frozen=True)
class HiddenConfig:
    author_hides: int = 3  # hides of one author's posts that drop the author altogether


class HiddenFilter:
    name = "hidden"

    def __init__(self, config: HiddenConfig | None = None) -> None:
        self.config = config or HiddenConfig()

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        viewer, limit = context.viewer, self.config.author_hides
        dropped = {author for author, hides in viewer.hides_by_author.items() if hides >= limit}
        removed: np.ndarray = ids_in(frame.post_id, viewer.hidden_posts) | ids_in(frame.author_id, dropped)
        return removed

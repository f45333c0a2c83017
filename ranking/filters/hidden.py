""" "See less": a hidden post never comes back, and an author hidden `author_hides` times is dropped.

Fewer hides only down-weight the author (the rankers read `ua_hides_28d`; the heuristic halves per
hide), which is what "see less" promises rather than "see none".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ranking.filters.base import partition
from ranking.types import FilterResult, RankingContext, ScoredCandidate


@dataclass(frozen=True)
class HiddenConfig:
    author_hides: int = 3  # hides of one author's posts that drop the author altogether


class HiddenFilter:
    name = "hidden"

    def __init__(self, config: HiddenConfig | None = None) -> None:
        self.config = config or HiddenConfig()

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> FilterResult:
        viewer, limit = context.viewer, self.config.author_hides
        return partition(
            candidates,
            lambda c: (
                c.post_id in viewer.hidden_posts
                or (c.author_id is not None and viewer.hides_by_author.get(c.author_id, 0) >= limit)
            ),
        )

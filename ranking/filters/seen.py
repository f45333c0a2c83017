"""Posts the viewer was shown recently (the last N impressions kept in Redis by `ranking.seen`)."""

from __future__ import annotations

from collections.abc import Sequence

from ranking.filters.base import partition
from ranking.types import FilterResult, RankingContext, ScoredCandidate


class SeenFilter:
    name = "seen"

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> FilterResult:
        seen = context.viewer.seen
        return partition(candidates, lambda c: c.post_id in seen)

"""Filters about the viewer's follow graph.

- `FollowedAuthorFilter` (explore): explore is out-of-network; followed accounts belong to the feed.
- `UnfollowedFilter` (feed): a fan-out feed set is dropped when the relay handles the unfollow
  (`candidates.fanout.invalidate`); until then it still holds the unfollowed author's posts, so a post
  the `following` source proposes is only in-network while the viewer still follows its author. Such a
  post is dropped, or, when another source proposed it too, kept without the stale `following` source
  (so neither its explanation nor its metrics claim a follow).
"""

from __future__ import annotations

import numpy as np

from ranking.frame import Frame
from ranking.types import RankingContext, ids_in

FOLLOWING = "following"


class FollowedAuthorFilter:
    name = "followed_author"

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        return ids_in(frame.author_id, context.viewer.followed)


class UnfollowedFilter:
    name = "unfollowed"

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        bit = frame.bit(FOLLOWING)
        if not bit:
            return np.zeros(len(frame), dtype=bool)
        stale = ((frame.source_bits & bit) != 0) & ~ids_in(frame.author_id, context.viewer.followed)
        also = stale & (frame.source_bits != bit)  # proposed by another source too: kept, without `following`
        frame.source_bits[also] &= ~bit
        frame.source_scores[also, frame.sources.index(FOLLOWING)] = np.nan
        removed: np.ndarray = stale & ~also
        return removed

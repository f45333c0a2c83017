"""Filters about the viewer's follow graph.

- `FollowedAuthorFilter` (explore): explore is out-of-network; followed accounts belong to the feed.
- `UnfollowedFilter` (feed): a fan-out feed set is dropped when the relay handles the unfollow
  (`candidates.fanout.invalidate`); until then it still holds the unfollowed author's posts, so a post
  the `following` source proposes is only in-network while the viewer still follows its author. Such a
  post is dropped, or, when another source proposed it too, kept without the stale `following` source
  (so neither its explanation nor its metrics claim a follow).
"""

from __future__ import annotations

from collections.abc import Sequence

from ranking.filters.base import partition
from ranking.types import FilterResult, RankingContext, ScoredCandidate

FOLLOWING = "following"


class FollowedAuthorFilter:
    name = "followed_author"

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> FilterResult:
        followed = context.viewer.followed
        return partition(candidates, lambda c: c.author_id in followed)


class UnfollowedFilter:
    name = "unfollowed"

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> FilterResult:
        followed = context.viewer.followed
        for candidate in candidates:
            stale = FOLLOWING in candidate.sources and candidate.author_id not in followed
            if stale and len(candidate.sources) > 1:
                del candidate.sources[FOLLOWING]
        return partition(candidates, lambda c: FOLLOWING in c.sources and c.author_id not in followed)

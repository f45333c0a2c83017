"""Who may see what, as filters: deleted posts, own posts, blocks (either way), private accounts.

The rules are `social_core.visibility.can_see_content`'s (self always; never across a block; a
private account only to its followers), applied to facts loaded in bulk by the hydrators instead of
two queries per author; `tests/ranking/test_filters.py` holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Sequence

from ranking.filters.base import partition
from ranking.types import FilterResult, RankingContext, ScoredCandidate


class DeletedFilter:
    """Deleted posts, and ids the database does not know (a stale fan-out or index entry)."""

    name = "deleted"

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> FilterResult:
        return partition(candidates, lambda c: c.deleted or c.author_id is None)


class OwnPostFilter:
    name = "own_post"

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> FilterResult:
        return partition(candidates, lambda c: c.author_id == context.viewer.user_id)


class BlockedFilter:
    """Authors the viewer blocked or who blocked the viewer."""

    name = "blocked"

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> FilterResult:
        blocked = context.viewer.blocked
        return partition(candidates, lambda c: c.author_id in blocked)


class PrivateFilter:
    """Private accounts' posts, unless the viewer follows them (or is them)."""

    name = "private"

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> FilterResult:
        viewer = context.viewer
        return partition(
            candidates,
            lambda c: c.author_private and c.author_id != viewer.user_id and c.author_id not in viewer.followed,
        )

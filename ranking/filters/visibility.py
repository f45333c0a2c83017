"""Who may see what, as filters: deleted posts, own posts, blocks (either way), private accounts.

The rules are `social_core.visibility.can_see_content`'s (self always; never across a block; a
private account only to its followers), applied to facts loaded in bulk by the hydrators instead of
two queries per author; `tests/ranking/test_filters.py` holds the two to the same answers.
"""

from __future__ import annotations

import numpy as np

from candidates.types import NO_AUTHOR
from ranking.frame import Frame
from ranking.types import RankingContext, ids_in


class DeletedFilter:
    """Deleted posts, and ids the database does not know (a stale fan-out or index entry)."""

    name = "deleted"

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        removed: np.ndarray = frame.deleted | (frame.author_id == NO_AUTHOR)
        return removed


class OwnPostFilter:
    name = "own_post"

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        removed: np.ndarray = frame.author_id == context.viewer.user_id
        return removed


class BlockedFilter:
    """Authors the viewer blocked or who blocked the viewer."""

    name = "blocked"

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        return ids_in(frame.author_id, context.viewer.blocked)


class PrivateFilter:
    """Private accounts' posts, unless the viewer follows them (or is them)."""

    name = "private"

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        viewer = context.viewer
        allowed = ids_in(frame.author_id, viewer.followed) | (frame.author_id == viewer.user_id)
        removed: np.ndarray = frame.author_private & ~allowed
        return removed

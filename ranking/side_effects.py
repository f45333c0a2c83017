"""After serving: remember what was shown, so the seen filter keeps the next page fresh.

Side effects fail open: the page is already built, a Redis hiccup only risks a repeat.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from ranking.seen import SeenStore
from ranking.types import RankingContext, ScoredCandidate

log = logging.getLogger("pixelrank.ranking")


class SideEffect(Protocol):
    name: str

    def __call__(self, context: RankingContext, served: Sequence[ScoredCandidate]) -> None: ...


class RecordSeen:
    name = "record_seen"

    def __init__(self, store: SeenStore) -> None:
        self.store = store

    def __call__(self, context: RankingContext, served: Sequence[ScoredCandidate]) -> None:
        try:
            self.store.record(context.viewer.user_id, [c.post_id for c in served], context.now_ts)
        except Exception:
            log.exception("recording seen posts of user %s failed", context.viewer.user_id)

"""After serving: remember what was shown, so the seen filter keeps the next page fresh.

Side effects fail open: the page is already built, a Redis hiccup only risks a repeat.
"""

from __future__ import annotations

import logging
from typing import Protocol

from ranking.frame import Frame
from ranking.seen import SeenStore
from ranking.types import RankingContext

log = logging.getLogger("pixelrank.ranking")


class SideEffect(Protocol):
    name: str

    def __call__(self, context: RankingContext, served: Frame) -> None: ...


class RecordSeen:
    name = "record_seen"

    def __init__(self, store: SeenStore) -> None:
        self.store = store

    def __call__(self, context: RankingContext, served: Frame) -> None:
        try:
            self.store.record(context.viewer.user_id, served.post_id.tolist(), context.now_ts)
        except Exception:
            log.exception("recording seen posts of user %s failed", context.viewer.user_id)

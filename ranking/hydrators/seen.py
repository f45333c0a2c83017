"""The viewer's recently shown posts, from the `SeenStore`. Fail-open: a Redis outage repeats a few posts."""

from __future__ import annotations

import logging

from ranking.degraded import Degraded
from ranking.frame import Frame
from ranking.seen import SeenStore
from ranking.types import RankingContext

log = logging.getLogger("pixelrank.ranking")


class SeenHydrator:
    name = "seen"

    def __init__(self, store: SeenStore, last_n: int | None = None) -> None:
        self.store, self.last_n = store, last_n

    def __call__(self, context: RankingContext, frame: Frame) -> None:
        try:
            context.viewer.seen |= set(self.store.recent(context.viewer.user_id, self.last_n))
        except Exception:
            log.exception("reading seen posts of user %s failed", context.viewer.user_id)
            context.degrade(Degraded.SEEN_STORE_UNREACHABLE)

"""`PageServer`: one feed or explore page, from the cursor to the response, with every fallback.

- First page (no cursor): rank afresh (`rank`), cache the list, serve its head.
- Later page: slice the cached list the cursor names; when that list is gone, rank again from where
  the user is (items already shown are in the seen store, so they do not come back).
- Redis unreachable: the feed falls back to the chronological feed from the database; explore ranks
  each page without a cache. Both say `degraded` and count the fallback.
Every page is re-checked for visibility (`guard`), recorded as seen and logged as impressions.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from redis.exceptions import RedisError
from sqlalchemy.orm import Session

from ranking.degraded import Degraded
from ranking.pages.cache import ListHeader, RankedList, Window
from ranking.pages.cursor import ChronoCursor, RankedCursor, decode, encode
from ranking.result import PipelineResult, ServedBy, ServedItem
from serving.feed.assembly import FeedStack
from serving.feed.chronological import REASON as CHRONOLOGICAL
from serving.feed.chronological import chronological_page
from serving.feed.guard import visible_posts
from serving.feed.impressions import LoggedOf, log_impressions, page_impressions
from serving.feed.present import feed_items, served_by_public
from serving.feed.rank import rank
from serving.impressions import ImpressionLogger
from serving.metrics import Metrics
from serving.schemas.feed import FeedPage
from social_core import preferences
from social_core.models import User

log = logging.getLogger(__name__)
UNCACHED = Degraded.UNCACHED_PAGES


@dataclass
class PageServer:
    stack: FeedStack
    session: Session  # a GET's: read-only (`serving.deps.get_session`)
    metrics: Metrics | None = None
    impressions: ImpressionLogger | None = None
    request_id: str | None = None

    def __call__(self, viewer: User, pipeline: str, limit: int, raw_cursor: str | None, now: datetime) -> FeedPage:
        cursor = decode(raw_cursor, pipeline)
        if isinstance(cursor, ChronoCursor):  # the feed began without Redis: it stays chronological
            return self._chronological(viewer, limit, cursor, now)
        position = cursor.offset if cursor else 0
        try:
            window, logged_of = self._window(viewer, pipeline, cursor, position, limit, now)
        except RedisError as error:
            log.warning("redis unreachable while serving %s: %s", pipeline, error)
            if pipeline == "feed":
                return self._chronological(viewer, limit, None, now)
            ranked, logged_of = self._uncached(viewer, pipeline, position + limit, now)
            window = ranked.window(position, limit)
        list_id = window.header.list_id
        next_cursor = encode(RankedCursor(pipeline, list_id, position + limit)) if window.more else None
        return self._page(viewer, window.items, window.header, position, next_cursor, now, logged_of)

    def _window(
        self, viewer: User, pipeline: str, cursor: RankedCursor | None, position: int, limit: int, now: datetime
    ) -> tuple[Window, LoggedOf | None]:
        """The page from the cursor's cached list, or from a fresh ranking (cached). Redis errors propagate."""
        cache = self.stack.cache
        if cursor is not None and cursor.list_id:
            cached = cache.window(pipeline, viewer.id, position, limit)
            hit = cached is not None and cached.header.list_id == cursor.list_id
            if self.metrics is not None:
                self.metrics.observe_cache(hit)
            if cached is not None and hit:
                return cached, None
        else:
            cache.ping()  # before ranking: a list that cannot be cached cannot be paged through
        prefs = preferences.get_preferences(self.session, viewer.id) if pipeline == "feed" else None
        fresh = rank(self.stack, pipeline, viewer.id, now, depth=self.stack.depth, preferences=prefs)
        self._observe(fresh.result)
        base = cursor.offset if cursor else 0
        ranked = RankedList.new(fresh.result.served_by, fresh.result.served, fresh.two_tower_version, base)
        cache.put(viewer.id, ranked)
        return ranked.window(position, limit), fresh.logged_of

    def _uncached(self, viewer: User, pipeline: str, depth: int, now: datetime) -> tuple[RankedList, LoggedOf]:
        """Explore without Redis: rank `depth` deep on every page and serve its tail (list id "")."""
        fresh = rank(self.stack, pipeline, viewer.id, now, depth=depth, extra_reasons=(UNCACHED,))
        self._observe(fresh.result)
        served = fresh.result.served
        header = ListHeader("", fresh.result.served_by, fresh.two_tower_version, source_bits=served.sources)
        return RankedList(header, served), fresh.logged_of

    def _chronological(self, viewer: User, limit: int, cursor: ChronoCursor | None, now: datetime) -> FeedPage:
        posts, after = chronological_page(self.session, viewer.id, limit, cursor)
        served_by = ServedBy("feed", "chronological", "chronological", ("following",), (), (CHRONOLOGICAL,))
        if self.metrics is not None:
            self.metrics.fallbacks.labels(CHRONOLOGICAL.kind).inc()
        entries = [ServedItem(p.id, p.author_id, 0.0, "newest from accounts you follow", ("following",)) for p in posts]
        next_cursor = encode(after) if after is not None else None
        header = ListHeader("", served_by)
        return self._page(viewer, entries, header, cursor.offset if cursor else 0, next_cursor, now, None, seen=False)

    def _page(
        self,
        viewer: User,
        entries: list[ServedItem],
        header: ListHeader,
        position: int,
        next_cursor: str | None,
        now: datetime,
        logged_of: LoggedOf | None,
        *,
        seen: bool = True,
    ) -> FeedPage:
        visible = visible_posts(
            self.session, viewer.id, [e.post_id for e in entries], out_of_network=header.served_by.pipeline == "explore"
        )
        shown = [e for e in entries if e.post_id in visible]
        if seen and shown:
            try:
                self.stack.seen.record(viewer.id, [e.post_id for e in shown], now.timestamp())
            except RedisError as error:  # a repeat later is the only cost
                log.warning("seen posts of user %s not recorded: %s", viewer.id, error)
        served = page_impressions(
            viewer.id,
            shown,
            header.served_by,
            offset=position,
            request_id=self.request_id,
            at=now,
            logged_of=logged_of,
        )
        log_impressions(self.impressions, served)
        return FeedPage(
            items=feed_items(self.session, viewer, shown, visible, self.stack.contents),
            next_cursor=next_cursor,
            served_by=served_by_public(header.served_by, header.two_tower_version),
        )

    def _observe(self, result: PipelineResult) -> None:
        if self.metrics is not None:
            self.metrics.observe_pipeline(result)

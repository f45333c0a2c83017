"""`GET /v1/feed`: the ranked home feed, page by page."""

from __future__ import annotations

from fastapi import APIRouter

from serving.deps import CurrentUser, Cursor, Limit, NowDep
from serving.feed.dependency import PageServerDep
from serving.schemas.feed import FeedPage

router = APIRouter(prefix="/v1/feed", tags=["feed"])


@router.get("")
def feed(me: CurrentUser, now: NowDep, server: PageServerDep, limit: Limit = 20, cursor: Cursor = None) -> FeedPage:
    """Posts from accounts you follow and recommendations, ranked for you. Without a cursor the feed is
    ranked afresh; with one, the next page of that same ranking (no repeats, nothing skipped)."""
    return server(me, "feed", limit, cursor, now)

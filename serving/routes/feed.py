"""`GET /v1/feed`: the ranked home feed, page by page."""

from __future__ import annotations

from fastapi import APIRouter

from serving.deps import Cursor, Limit, NowDep
from serving.feed.dependency import RankedPagesDep
from serving.schemas.feed import FeedPage

router = APIRouter(prefix="/v1/feed", tags=["feed"])


@router.get("")
async def feed(pages: RankedPagesDep, now: NowDep, limit: Limit = 20, cursor: Cursor = None) -> FeedPage:
    """Posts from accounts you follow and recommendations, ranked for you. Without a cursor the feed is
    ranked afresh; with one, the next page of that same ranking (no repeats, nothing skipped)."""
    return await pages("feed", limit, cursor, now)

"""`GET /v1/explore`: recommendations from accounts you do not follow, as a grid."""

from __future__ import annotations

from fastapi import APIRouter

from serving.deps import Cursor, Limit, NowDep
from serving.feed.dependency import RankedPagesDep
from serving.schemas.feed import FeedPage

router = APIRouter(prefix="/v1/explore", tags=["feed"])


@router.get("")
async def explore(pages: RankedPagesDep, now: NowDep, limit: Limit = 24, cursor: Cursor = None) -> FeedPage:
    """Posts from accounts you do not follow (never blocked or private ones), mixed by source down the
    grid. Pages like the feed."""
    return await pages("explore", limit, cursor, now)

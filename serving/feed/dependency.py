"""`RankedPagesDep`: feed and explore pages for this request's caller, served in one worker-thread hop,
one page at a time per process.

A page's work is blocking (the database, Redis, the models) and runs in the thread pool, as one job:
open the read session, find the caller from the token, serve the page (`PageServer`), close. The usual
dependencies (`SessionDep`, `CurrentUser`, a plain `def` route) would hand the request between the
event loop and the pool five times (the session's entry and exit, the caller, the route, the response
check); on two busy cores each hand-off cost about half a millisecond, a third of a cached page.

The jobs take turns (`Settings.feed_pages_at_once`, default 1): a page is Python holding the GIL, and
rankings run side by side in threads were switched every few milliseconds, each costing half as much
CPU again and all finishing late; in turn, the first finishes first and the worker's throughput rises.
The token is still read by `TokenDep`, so the routes document their security like every other.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from anyio import CapacityLimiter, to_thread
from fastapi import Depends, Request

from serving.deps import TokenDep
from serving.feed.service import PageServer
from serving.request_id import current_request_id
from serving.schemas.feed import FeedPage
from social_core import accounts


class RankedPages:
    def __init__(self, state: Any, token: str) -> None:
        self.state, self.token = state, token

    async def __call__(self, pipeline: str, limit: int, cursor: str | None, now: datetime) -> FeedPage:
        turns: CapacityLimiter = self.state.page_turns
        return await to_thread.run_sync(self.serve, pipeline, limit, cursor, now, limiter=turns)

    def serve(self, pipeline: str, limit: int, cursor: str | None, now: datetime) -> FeedPage:
        """The page, start to end, in the calling thread (the pool's: the request id's context is copied)."""
        state = self.state
        with state.read_sessions() as session:  # a GET's session: read-only (`serving.deps.get_session`)
            viewer = accounts.user_for_token(session, self.token)
            server = PageServer(
                state.feed,
                session,
                metrics=getattr(state, "metrics", None),
                impressions=getattr(state, "impressions", None),
                request_id=current_request_id(),
            )
            return server(viewer, pipeline, limit, cursor, now)


async def get_ranked_pages(request: Request, token: TokenDep) -> RankedPages:  # no I/O: no thread hop
    return RankedPages(request.app.state, token)


RankedPagesDep = Annotated[RankedPages, Depends(get_ranked_pages)]

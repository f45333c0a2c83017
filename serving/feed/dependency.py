"""`PageServerDep`: a `PageServer` for this request, from what the app holds (metrics and impressions
when the app has them)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from serving.deps import SessionDep
from serving.feed.service import PageServer
from serving.request_id import current_request_id


async def get_page_server(request: Request, session: SessionDep) -> PageServer:  # no I/O: no thread hop
    state = request.app.state
    return PageServer(
        state.feed,
        session,
        metrics=getattr(state, "metrics", None),
        impressions=getattr(state, "impressions", None),
        request_id=current_request_id(),
    )


PageServerDep = Annotated[PageServer, Depends(get_page_server)]

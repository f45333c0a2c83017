from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from serving.realtime import Event, Hub
from social_core import accounts
from social_core.errors import Unauthenticated

router = APIRouter(tags=["realtime"])

UNAUTHORIZED = 4401  # a close code in the application range: "401" for WebSockets


@router.websocket("/v1/ws")
async def live(websocket: WebSocket, token: Annotated[str | None, Query()] = None) -> None:
    """Pushes `{"type": "message", ...}` and `{"type": "read", ...}` events of your threads as JSON.

    Authenticate with `?token=` (browsers cannot set headers here) or an `Authorization: Bearer` header;
    a missing or bad token closes the socket with code 4401.
    """
    user_id = await run_in_threadpool(_authenticate, websocket, token or _bearer(websocket))
    if user_id is None:
        await websocket.accept()  # accept first: a close before it reaches clients as a bare HTTP 403
        await websocket.close(code=UNAUTHORIZED, reason="invalid or expired token")
        return
    hub: Hub = websocket.app.state.hub
    queue = hub.connect(user_id)  # before accepting: nothing published once the client is in is missed
    try:
        await websocket.accept()
        await _serve(websocket, queue)
    finally:
        hub.disconnect(user_id, queue)


def _bearer(websocket: WebSocket) -> str | None:
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def _authenticate(websocket: WebSocket, token: str | None) -> int | None:
    if not token:
        return None
    with websocket.app.state.sessions() as session:
        try:
            return accounts.user_for_token(session, token).id
        except Unauthenticated:
            return None


async def _serve(websocket: WebSocket, queue: asyncio.Queue[Event | None]) -> None:
    """Until the client leaves: push queued events, and read (and ignore) what the client sends."""
    async with anyio.create_task_group() as tasks:  # anyio, like Starlette: cancellation stays structured
        tasks.start_soon(_push, websocket, queue, tasks.cancel_scope)
        await _drain(websocket)
        tasks.cancel_scope.cancel()


async def _push(websocket: WebSocket, queue: asyncio.Queue[Event | None], scope: anyio.CancelScope) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while (event := await queue.get()) is not None:
            await websocket.send_json(event)
        await websocket.close(code=1013, reason="too slow: reconnect and re-read")
    scope.cancel()


async def _drain(websocket: WebSocket) -> None:
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        message: Any = {}
        while message.get("type") != "websocket.disconnect":
            message = await websocket.receive()

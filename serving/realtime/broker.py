"""The broker contract and its embedded implementation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Protocol

from fastapi import Depends, Request

log = logging.getLogger(__name__)

Event = dict[str, Any]  # JSON-ready: what the sockets receive
Deliver = Callable[[list[int], Event], None]  # (user ids, event), called on the event loop


class Broker(Protocol):
    async def start(self, deliver: Deliver) -> None:
        """Start listening; from then on every published event reaches `deliver` in this process."""

    async def stop(self) -> None: ...

    def publish(self, user_ids: Sequence[int], event: Event) -> None:
        """Send `event` to these users' sockets in every process. Callable from any thread; never raises."""


class InProcessBroker:
    """The embedded default: one process, no Redis. `publish` hops from the caller's thread to the loop."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._deliver: Deliver | None = None

    async def start(self, deliver: Deliver) -> None:
        self._loop, self._deliver = asyncio.get_running_loop(), deliver

    async def stop(self) -> None:
        self._loop = self._deliver = None

    def publish(self, user_ids: Sequence[int], event: Event) -> None:
        loop, deliver = self._loop, self._deliver
        if loop is None or deliver is None:
            return  # not started: nobody can be connected
        try:
            loop.call_soon_threadsafe(deliver, list(user_ids), event)
        except RuntimeError:  # the loop closed while shutting down
            log.debug("live event dropped: the event loop is closed")


def get_broker(request: Request) -> Broker:
    broker: Broker = request.app.state.broker
    return broker


BrokerDep = Annotated[Broker, Depends(get_broker)]

"""The sockets open in this process, by user."""

from __future__ import annotations

import asyncio

from serving.realtime.broker import Event

QUEUE_SIZE = 256


class Hub:
    """`deliver` queues an event on each socket of each user; one task per socket drains its queue.

    Runs on the event loop only (the brokers call `deliver` there), so it needs no lock. A socket whose
    queue fills up cannot keep up: its queue is replaced by one `None`, which closes it (1013, try again
    later); the client reconnects and re-reads the API.
    """

    def __init__(self, queue_size: int = QUEUE_SIZE) -> None:
        self.queue_size = queue_size
        self._sockets: dict[int, set[asyncio.Queue[Event | None]]] = {}

    def connect(self, user_id: int) -> asyncio.Queue[Event | None]:
        queue: asyncio.Queue[Event | None] = asyncio.Queue(self.queue_size)
        self._sockets.setdefault(user_id, set()).add(queue)
        return queue

    def disconnect(self, user_id: int, queue: asyncio.Queue[Event | None]) -> None:
        queues = self._sockets.get(user_id, set())
        queues.discard(queue)
        if not queues:
            self._sockets.pop(user_id, None)

    def deliver(self, user_ids: list[int], event: Event) -> None:
        for user_id in user_ids:
            for queue in self._sockets.get(user_id, ()):
                _offer(queue, event)


def _offer(queue: asyncio.Queue[Event | None], event: Event) -> None:
    try:
        queue.put_nowait(event)
    except asyncio.QueueFull:
        while not queue.empty():
            queue.get_nowait()
        queue.put_nowait(None)

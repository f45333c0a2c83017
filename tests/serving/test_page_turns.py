"""Feed and explore pages take turns per process (`Settings.feed_pages_at_once`), each in one thread hop."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from types import SimpleNamespace

import anyio
import pytest
from pydantic import ValidationError

from serving.feed.dependency import RankedPages
from serving.settings import Settings

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Recorder(RankedPages):
    """A page that takes a while, counting how many are being served at once and in which threads."""

    def __init__(self, state: SimpleNamespace) -> None:
        super().__init__(state, "token")

    def serve(self, pipeline: str, limit: int, cursor: str | None, now: datetime) -> object:
        state = self.state
        with state.lock:
            state.running += 1
            state.most = max(state.most, state.running)
            state.threads.add(threading.get_ident())
        time.sleep(0.05)
        with state.lock:
            state.running -= 1
        return pipeline


def _serve_together(at_once: int, pages: int) -> SimpleNamespace:
    state = SimpleNamespace(lock=threading.Lock(), running=0, most=0, threads=set())

    async def main() -> None:
        state.page_turns = anyio.CapacityLimiter(at_once)
        async with anyio.create_task_group() as group:
            for _ in range(pages):
                group.start_soon(Recorder(state), "feed", 20, None, NOW)

    anyio.run(main)
    return state


def test_pages_take_turns() -> None:
    state = _serve_together(at_once=1, pages=4)
    assert state.most == 1
    assert threading.get_ident() not in state.threads  # off the event loop's thread


def test_more_at_once_when_configured() -> None:
    assert _serve_together(at_once=3, pages=6).most == 3


def test_at_least_one_page_at_once() -> None:
    with pytest.raises(ValidationError):
        Settings(feed_pages_at_once=0)

"""Impression logging off the request path: served items become `impression` outbox events in batches.

Impressions are tomorrow's training data (`features.training_set.label_impressions` reads actor_id =
viewer, post_id, target_id = author, and the event time), but no request should wait on writing
them. A request hands its items to a bounded queue and returns; one background thread writes them
through the outbox, one transaction per `batch_size` items, once that many are waiting or `flush_ms`
milliseconds have passed, whichever comes first. A full queue drops (and counts) instead of blocking
the request; stopping writes whatever is still queued. The event time is the time the item was
served, not the flush time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from social_core import outbox
from social_core.clock import utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Impression:
    user_id: int  # the viewer
    post_id: int
    author_id: int
    position: int  # 0-based rank on the page as served (the offset of later pages included)
    request_id: str | None
    pipeline: str  # "feed", "explore"
    model_version: str
    sources: tuple[str, ...]  # candidate sources that proposed it; the first is logged as `source`
    score: float
    at: datetime = field(default_factory=utcnow)

    def payload(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "request_id": self.request_id,
            "pipeline": self.pipeline,
            "model_version": self.model_version,
            "source": self.sources[0] if self.sources else None,
            "sources": list(self.sources),
            "score": self.score,
        }


@dataclass(frozen=True)
class ImpressionLogConfig:
    max_queue: int = 10_000  # impressions waiting at most; beyond, new ones are dropped
    batch_size: int = 500  # write once this many are waiting...
    flush_ms: float = 500.0  # ...or once the oldest has waited this long
    stop_timeout_s: float = 10.0  # how long stopping waits for the last writes


class ImpressionLogger:
    """Pages of impressions wait in a list; the writer wakes when `batch_size` are waiting, when `flush_ms`
    has passed, or at stop, and takes them all. A request hands over its page in one step: a queue item
    per impression woke the writer for each, and the two threads took turns at the interpreter inside
    every request."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        config: ImpressionLogConfig | None = None,
        *,
        on_drop: Callable[[int], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.config = config or ImpressionLogConfig()
        self.on_drop = on_drop  # e.g. a Prometheus counter's `inc`
        self.dropped = 0  # queue full, or logged after stop
        self.written = 0
        self.failed = 0  # lost to a failed write (logged)
        self._waiting: list[list[Impression]] = []  # pages, oldest first
        self._count = 0  # impressions in `_waiting`, at most `max_queue`
        self._ready = threading.Event()  # a batch is full, or stopping
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="impression-log", daemon=True)

    def log(self, impressions: Sequence[Impression]) -> int:
        """Queue impressions without ever blocking; returns how many were accepted (the rest are dropped)."""
        with self._lock:  # stop() takes it too: nothing slips in after the final drain
            room = 0 if self._stopping.is_set() else self.config.max_queue - self._count
            accepted = max(0, min(len(impressions), room))
            if accepted:
                self._waiting.append(list(impressions[:accepted]))
                self._count += accepted
                if self._count >= self.config.batch_size:
                    self._ready.set()
            lost = len(impressions) - accepted
            self.dropped += lost
        if lost and self.on_drop is not None:
            self.on_drop(lost)
        return accepted

    def start(self) -> ImpressionLogger:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop taking impressions, write everything queued, and wait for the writer to finish."""
        with self._lock:
            self._stopping.set()
            self._ready.set()
        if self._thread.is_alive():
            self._thread.join(self.config.stop_timeout_s)
        else:  # never started: write what is queued from here
            self._drain()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._ready.wait(self.config.flush_ms / 1000)
            self._drain()
        self._drain()

    def _drain(self) -> None:
        """Write everything waiting, `batch_size` impressions per transaction."""
        with self._lock:
            pages, self._waiting, self._count = self._waiting, [], 0
            if not self._stopping.is_set():
                self._ready.clear()
        queued = [impression for page in pages for impression in page]
        for start in range(0, len(queued), self.config.batch_size):
            self._write(queued[start : start + self.config.batch_size])

    def _write(self, batch: list[Impression]) -> None:
        try:
            rows = [
                {
                    "actor_id": imp.user_id,
                    "post_id": imp.post_id,
                    "target_id": imp.author_id,
                    "payload": imp.payload(),
                    "created_at": imp.at,
                }
                for imp in batch
            ]
            with self.sessions() as session:
                outbox.emit_many(session, "impression", rows)
                session.commit()
            self.written += len(batch)
        except Exception:  # a database outage loses these impressions, never the serving thread
            self.failed += len(batch)
            log.exception("writing %d impressions failed", len(batch))

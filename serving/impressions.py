"""Impression logging off the request path: served items become `impression` outbox events in batches.

Impressions are tomorrow's training data (`features.training_set.label_impressions` reads actor_id =
viewer, post_id, target_id = author, and the event time), but no request should wait on writing
them. A request hands its items to a bounded queue and returns; one background thread writes them
through the outbox, one transaction per batch, every `batch_size` items or `flush_ms` milliseconds,
whichever comes first. A full queue drops (and counts) instead of blocking the request; stopping
writes whatever is still queued. The event time is the time the item was served, not the flush time.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ranking.result import PipelineResult
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


def impressions_of(
    result: PipelineResult, user_id: int, *, request_id: str | None, at: datetime, offset: int = 0
) -> list[Impression]:
    """One impression per served item of a pipeline run, positions counted from `offset`."""
    served_by = result.served_by
    return [
        Impression(
            user_id,
            item.post_id,
            item.author_id,
            offset + i,
            request_id,
            served_by.pipeline,
            served_by.model_version,
            item.sources,
            item.score,
            at,
        )
        for i, item in enumerate(result.items)
    ]


@dataclass(frozen=True)
class ImpressionLogConfig:
    max_queue: int = 10_000  # impressions waiting at most; beyond, new ones are dropped
    batch_size: int = 500  # write once this many are waiting...
    flush_ms: float = 500.0  # ...or once the oldest has waited this long
    stop_timeout_s: float = 10.0  # how long stopping waits for the last writes


class ImpressionLogger:
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
        self._queue: queue.Queue[Impression] = queue.Queue(maxsize=self.config.max_queue)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="impression-log", daemon=True)

    def log(self, impressions: Sequence[Impression]) -> int:
        """Queue impressions without ever blocking; returns how many were accepted (the rest are dropped)."""
        accepted = 0
        with self._lock:  # stop() takes it too: nothing slips in after the final drain
            if not self._stopping.is_set():
                for impression in impressions:
                    try:
                        self._queue.put_nowait(impression)
                    except queue.Full:
                        break
                    accepted += 1
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
        if self._thread.is_alive():
            self._thread.join(self.config.stop_timeout_s)
        else:  # never started: write what is queued from here
            self._drain()

    def _run(self) -> None:
        while not self._stopping.is_set():
            batch = self._next_batch()
            if batch:
                self._write(batch)
        self._drain()

    def _next_batch(self) -> list[Impression]:
        """Wait for a first impression, then collect until the batch is full or `flush_ms` has passed."""
        try:
            batch = [self._queue.get(timeout=0.1)]
        except queue.Empty:
            return []
        deadline = time.monotonic() + self.config.flush_ms / 1000
        while len(batch) < self.config.batch_size and not self._stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._queue.get(timeout=min(remaining, 0.1)))
            except queue.Empty:
                continue
        return batch

    def _drain(self) -> None:
        while True:
            batch: list[Impression] = []
            while len(batch) < self.config.batch_size:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            if not batch:
                return
            self._write(batch)

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

"""The outbox relay: read unprocessed events in order, run their side effects, then mark them done.

Side effects (fan-out to feed sets, pushes to the online feature store, cache invalidation) are
`EventHandler`s supplied by the composition root; each must be idempotent, because a batch whose
handler fails is left unprocessed and handed over again on the next pass: delayed, never lost.
On PostgreSQL the batch is locked with SKIP LOCKED, so several relays can run side by side.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from social_core import outbox
from social_core.models import Event

log = logging.getLogger(__name__)


class EventHandler(Protocol):
    name: str

    def __call__(self, events: Sequence[Event]) -> None: ...


@dataclass
class Relay:
    sessions: sessionmaker[Session]
    handlers: list[EventHandler] = field(default_factory=list)
    batch_size: int = 500

    def run_once(self) -> int:
        """Process one batch; returns how many events were marked done (0: nothing to do, or a handler failed)."""
        with self.sessions() as session:
            query = select(Event).where(Event.processed_at.is_(None)).order_by(Event.id).limit(self.batch_size)
            events = list(session.scalars(query.with_for_update(skip_locked=True)))
            if not events:
                return 0
            for handler in self.handlers:
                try:
                    handler(events)
                except Exception:
                    log.exception("relay handler %s failed; %d events stay queued", handler.name, len(events))
                    return 0
            return outbox.mark_processed(session, [event.id for event in events])

    def drain(self) -> int:
        """Process until the outbox is empty or a handler fails; returns the events processed."""
        total = 0
        while processed := self.run_once():
            total += processed
        return total

    def run_forever(self, stop: threading.Event, idle_seconds: float = 0.2) -> None:
        while not stop.is_set():
            if not self.run_once():
                stop.wait(idle_seconds)

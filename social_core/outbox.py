"""The transactional outbox: `emit` in the writer's transaction, `fetch`/`mark_processed` for relays.

A relay reads unprocessed events in id order, performs their side effects idempotently, and only
then marks them processed, so an outage delays effects but never loses them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from social_core.clock import utcnow
from social_core.models import Event


def emit(
    session: Session,
    type: str,
    *,
    actor_id: int | None,
    post_id: int | None = None,
    target_id: int | None = None,
    payload: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Event:
    event = Event(
        type=type,
        actor_id=actor_id,
        post_id=post_id,
        target_id=target_id,
        payload=payload or {},
        created_at=now or utcnow(),
    )
    session.add(event)
    return event


def emit_many(session: Session, type: str, events: Sequence[Mapping[str, Any]]) -> int:
    """Many events of one type in one INSERT, for high-volume writers (impressions): no ORM objects.
    Each mapping holds `actor_id`, `post_id`, `target_id`, `payload` and `created_at`."""
    if events:
        session.execute(insert(Event), [{"type": type, **event} for event in events])
    return len(events)


def fetch_unprocessed(session: Session, *, limit: int = 500, types: Sequence[str] | None = None) -> list[Event]:
    query = select(Event).where(Event.processed_at.is_(None)).order_by(Event.id).limit(limit)
    if types:
        query = query.where(Event.type.in_(types))
    return list(session.scalars(query))


def mark_processed(session: Session, event_ids: Sequence[int], *, now: datetime | None = None) -> int:
    """Mark events done; already-processed ids are left as they were. Returns how many changed."""
    if not event_ids:
        return 0
    result = session.execute(
        update(Event).where(Event.id.in_(event_ids), Event.processed_at.is_(None)).values(processed_at=now or utcnow())
    )
    session.commit()
    return int(result.rowcount)  # type: ignore[attr-defined]

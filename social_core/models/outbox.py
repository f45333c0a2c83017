from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from social_core.db import Base, BigId, UTCDateTime


class Event(Base):
    """One row per state change, written in the same transaction as the change (transactional outbox).

    `actor_id` did it; `post_id` / `target_id` (a user: the followee, the post's author) are what it
    was done to, as columns so the feature pipelines can aggregate without parsing JSON.
    """

    __tablename__ = "events"
    __table_args__ = (
        Index(
            "ix_events_unprocessed",
            "id",
            postgresql_where=text("processed_at IS NULL"),
            sqlite_where=text("processed_at IS NULL"),
        ),
        Index("ix_events_type_created", "type", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    type: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    post_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    target_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from social_core.db import Base, UTCDateTime


class Thread(Base):
    """A direct-message conversation of 2 to 32 people; a 1:1 thread is unique per pair (`pair_key`)."""

    __tablename__ = "threads"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # snowflake
    creator_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    pair_key: Mapped[str | None] = mapped_column(String(41), unique=True, nullable=True)  # "lo:hi" user ids, 1:1 only
    last_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ThreadParticipant(Base):
    """One member's side of a thread: its folder (accepted or a request), inbox position and read receipt."""

    __tablename__ = "thread_participants"
    __table_args__ = (Index("ix_thread_participants_inbox", "user_id", "accepted", "last_activity_id"),)

    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    # False: the thread waits in this member's "requests" folder (it came from someone they do not follow).
    accepted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    # The newest message's id (snowflake, so time-ordered); null until the thread has a message, except
    # for its creator. The inbox is ordered by it and hides threads where it is null.
    last_activity_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    last_read_message_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Message(Base):
    """Exactly one of: text, a shared post, a media of the sender's own (`kind` says which)."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_thread", "thread_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # snowflake
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    sender_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # "text" | "post" | "media"
    text: Mapped[str | None] = mapped_column(Text, nullable=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id", ondelete="SET NULL"), nullable=True)
    media_id: Mapped[int | None] = mapped_column(ForeignKey("media.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

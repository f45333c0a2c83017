from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from social_core.db import Base, UTCDateTime


class Story(Base):
    """A photo or short video shown for 24 hours (`expires_at`), then kept until cleanup purges its media."""

    __tablename__ = "stories"
    __table_args__ = (
        Index("ix_stories_author_expires", "author_id", "expires_at"),
        Index("ix_stories_expires", "expires_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)  # snowflake
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    media_id: Mapped[int] = mapped_column(ForeignKey("media.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class StoryView(Base):
    """Who saw which story, once (the author's own views are not recorded)."""

    __tablename__ = "story_views"
    __table_args__ = (Index("ix_story_views_story_created", "story_id", "created_at"),)

    story_id: Mapped[int] = mapped_column(ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    viewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

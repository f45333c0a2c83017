from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from social_core.db import Base, UTCDateTime


class RankingPreference(Base):
    """A user's own tuning of their ranked feed: product knobs (multipliers) and value-model weights.

    One row per user who changed anything; a user without a row ranks with the defaults. The knobs
    are plain columns (bounded here, applied by the pipeline); `weights` maps value-model heads to
    weights whose bounds belong to the ranking package, so the social core stores them as given.
    """

    __tablename__ = "ranking_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    friends: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    popular: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    fresh: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    weights: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

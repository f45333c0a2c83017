from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from social_core.db import Base, UTCDateTime


class Media(Base):
    """An uploaded photo or video, owned by its uploader until attached to a post or story."""

    __tablename__ = "media"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # "image" | "video"
    width: Mapped[int] = mapped_column(Integer, default=0)
    height: Mapped[int] = mapped_column(Integer, default=0)
    blurhash: Mapped[str] = mapped_column(String(64), default="", server_default="")
    duration_s: Mapped[float | None] = mapped_column(Float, nullable=True)  # videos only
    # `social_core.media.fingerprint.phash_of` the picture (a video's poster); None: uploaded before 0004
    phash: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    original_key: Mapped[str] = mapped_column(String(200), default="", server_default="")  # never served
    # [{"size": "small", "format": "webp", "width": 320, "height": 400, "key": "...", "bytes": 1234}, ...]
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # What the picture shows, as the image encoder of version `embedding_model` sees it (float32 bytes);
    # written by the relay after the upload, so NULL until then and for media no encoder has seen.
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    embedding_model: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

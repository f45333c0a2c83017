"""Uploads: process the bytes, store them, record the media row and its event, all or nothing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from social_core import outbox
from social_core.clock import utcnow
from social_core.errors import NotFound
from social_core.ids import next_id
from social_core.media import ObjectStore, process_upload, store_media
from social_core.models import Media, User


@dataclass(frozen=True)
class UploadLimits:
    max_image_bytes: int = 20_000_000
    max_video_bytes: int = 100_000_000
    max_video_seconds: float = 60.0
    avif: bool = True


def upload(
    session: Session, store: ObjectStore, owner: User, data: bytes, limits: UploadLimits, *, now: datetime | None = None
) -> Media:
    """Raises MediaRejected / TooLarge before anything is written; a later failure removes what it wrote."""
    processed = process_upload(
        data,
        max_image_bytes=limits.max_image_bytes,
        max_video_bytes=limits.max_video_bytes,
        max_video_seconds=limits.max_video_seconds,
        avif=limits.avif,
    )
    stored = store_media(store, processed)
    try:
        media = Media(
            id=next_id(),
            owner_id=owner.id,
            kind=processed.kind,
            width=processed.width,
            height=processed.height,
            blurhash=processed.blurhash,
            phash=processed.phash,
            duration_s=processed.duration_s,
            original_key=stored.original_key,
            variants=stored.variants,
            created_at=now or utcnow(),
        )
        session.add(media)
        payload = {"kind": media.kind, "width": media.width, "height": media.height}
        outbox.emit(
            session, "media_uploaded", actor_id=owner.id, target_id=media.id, payload=payload, now=media.created_at
        )
        session.commit()
    except BaseException:
        session.rollback()
        for key in stored.new_keys:  # content-addressed: keys that existed before belong to others too
            store.delete(key)
        raise
    return media


def variant_key(media: Media, size: str, fmt: str) -> str:
    for variant in media.variants:
        if variant["size"] == size and variant["format"] == fmt:
            return str(variant["key"])
    raise NotFound("no such media variant")

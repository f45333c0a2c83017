"""Rows the API cannot make yet: processed media (uploads are wired separately), written directly."""

from __future__ import annotations

from sqlalchemy.orm import Session

from social_core.clock import utcnow
from social_core.ids import next_id
from social_core.models import Media

SIZES = {"thumbnail": 150, "small": 320, "medium": 640, "large": 1080}
FORMATS = ("jpeg", "webp", "avif")


def make_media(session: Session, owner_id: int, *, kind: str = "image", duration_s: float | None = None) -> Media:
    """A processed upload of `owner_id`: every size in every format, 4:5 like a portrait photo."""
    media_id = next_id()
    variants = [
        {
            "size": size,
            "format": fmt,
            "width": side,
            "height": side * 5 // 4,
            "key": f"media/{media_id}/{size}.{fmt}",
            "bytes": side * 100,
        }
        for size, side in SIZES.items()
        for fmt in FORMATS
    ]
    media = Media(
        id=media_id,
        owner_id=owner_id,
        kind=kind,
        width=1080,
        height=1350,
        duration_s=duration_s,
        original_key=f"originals/{media_id}",
        variants=variants,
        created_at=utcnow(),
    )
    session.add(media)
    session.commit()
    return media

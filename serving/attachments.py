"""Media rows → attachments with the public URL of each variant (stories and messages share it)."""

from __future__ import annotations

from serving.schemas.attachments import MediaAttachment, VariantLink
from social_core.models import Media


def media_url(media_id: int, size: str, fmt: str) -> str:
    """The public URL of one variant; served by serving/routes/media.py with immutable caching."""
    return f"/media/{media_id}_{size}.{fmt}"


def media_attachment(media: Media) -> MediaAttachment:
    variants = [
        VariantLink(
            size=v["size"],
            format=v["format"],
            width=v["width"],
            height=v["height"],
            url=media_url(media.id, v["size"], v["format"]),
        )
        for v in media.variants or []
    ]
    return MediaAttachment(
        id=media.id,
        kind="video" if media.kind == "video" else "image",
        width=media.width,
        height=media.height,
        duration_s=media.duration_s,
        blurhash=media.blurhash,
        variants=variants,
    )

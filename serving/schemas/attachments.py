from __future__ import annotations

from typing import Literal

from serving.schemas.common import IdStr, Schema


class VariantLink(Schema):
    size: str  # thumbnail | small | medium | large
    format: str  # jpeg | webp | avif
    width: int
    height: int
    url: str


class MediaAttachment(Schema):
    """A photo or video attached to a story or a message, with the URL of every rendition."""

    id: IdStr
    kind: Literal["image", "video"]
    width: int
    height: int
    duration_s: float | None = None
    blurhash: str = ""
    variants: list[VariantLink]

"""Tell an image from a video by its first bytes (magic numbers), never by its name."""

from __future__ import annotations

from typing import Literal

Kind = Literal["image", "video"]

# ISO-BMFF files (MP4, MOV, HEIC, AVIF) all start with an `ftyp` box; its major brand tells them apart.
_IMAGE_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis"}
_IMAGE_PREFIXES = (
    b"\xff\xd8\xff",  # JPEG
    b"\x89PNG\r\n\x1a\n",  # PNG
    b"GIF87a",
    b"GIF89a",
)


def sniff(data: bytes) -> Kind | None:
    """Return "image" or "video" from the magic bytes, or None when it is neither kind we accept."""
    if data.startswith(_IMAGE_PREFIXES):
        return "image"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image"
    if data[4:8] == b"ftyp":
        return "image" if data[8:12] in _IMAGE_BRANDS else "video"
    return None


def video_content_type(data: bytes) -> str:
    """MIME type of an ISO-BMFF video: QuickTime's brand is `qt  `, everything else is served as MP4."""
    return "video/quicktime" if data[8:12] == b"qt  " else "video/mp4"

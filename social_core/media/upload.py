"""The entry point for an upload: sniff image or video by content, validate, render, and store."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from social_core.media.errors import MediaRejected, TooLarge
from social_core.media.images import ProcessedImage, process_image
from social_core.media.sniff import Kind, sniff
from social_core.media.storage import ObjectStore, content_key
from social_core.media.variants import ImageOptions, Variant
from social_core.media.video import inspect_video

UNSUPPORTED = "unsupported file: upload a JPEG, PNG, WebP, GIF or HEIC photo, or an MP4 or MOV video"
ORIGINAL_EXTENSIONS = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
    "image/gif": "gif",
    "image/heic": "heic",
    "image/avif": "avif",
    "video/mp4": "mp4",
    "video/quicktime": "mov",
}


@dataclass(frozen=True)
class ProcessedMedia:
    """A validated upload: for a video, `image` is its processed poster frame."""

    kind: Kind
    content_type: str  # of the original
    original: bytes = field(repr=False)  # the untouched upload: store privately, never serve
    image: ProcessedImage
    duration_s: float | None = None  # videos only

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height

    @property
    def blurhash(self) -> str:
        return self.image.blurhash

    @property
    def phash(self) -> int:
        return self.image.phash

    @property
    def variants(self) -> list[Variant]:
        return self.image.variants


@dataclass(frozen=True)
class StoredMedia:
    """Where the bytes went: the `original_key` and `variants` columns of a media row."""

    original_key: str
    variants: list[dict[str, Any]]  # {"size", "format", "width", "height", "key", "bytes"}
    new_keys: list[str] = field(default_factory=list)  # written by this call: undo with store.delete


def process_upload(
    data: bytes,
    *,
    max_image_bytes: int,
    max_video_bytes: int,
    max_video_seconds: float,
    avif: bool = False,
    options: ImageOptions | None = None,
) -> ProcessedMedia:
    """Validate and process one upload; raise TooLarge (→ 413) or MediaRejected (→ 422)."""
    options = dataclasses.replace(options or ImageOptions(), avif=avif)
    kind = sniff(data)
    if kind is None:
        if len(data) > max(max_image_bytes, max_video_bytes):
            raise TooLarge(len(data), max(max_image_bytes, max_video_bytes))
        raise MediaRejected(UNSUPPORTED)
    if kind == "image":
        image = process_image(data, max_bytes=max_image_bytes, options=options)
        return ProcessedMedia("image", image.content_type, data, image)
    video = inspect_video(data, max_seconds=max_video_seconds, max_bytes=max_video_bytes)
    poster = process_image(video.poster, max_bytes=len(video.poster), options=options)
    return ProcessedMedia("video", video.content_type, data, poster, duration_s=video.duration_s)


def store_media(store: ObjectStore, media: ProcessedMedia) -> StoredMedia:
    """Write the original and every variant under content-addressed keys (idempotent).

    Keys are shared by identical bytes, so only keys this call created are reported in `new_keys`;
    if a write fails, those are deleted again before the error propagates.
    """
    objects = {
        content_key(media.original, ORIGINAL_EXTENSIONS[media.content_type]): (media.original, media.content_type)
    }
    rows: list[dict[str, Any]] = []
    for variant in media.variants:
        key = content_key(variant.data, variant.extension)
        objects.setdefault(key, (variant.data, variant.content_type))  # small uploads share bytes between sizes
        rows.append(
            {
                "size": variant.size,
                "format": variant.format,
                "width": variant.width,
                "height": variant.height,
                "key": key,
                "bytes": len(variant.data),
            }
        )
    new_keys: list[str] = []
    try:
        for key, (data, content_type) in objects.items():
            if not store.exists(key):
                store.put(key, data, content_type)
                new_keys.append(key)
    except BaseException:
        for key in new_keys:
            store.delete(key)
        raise
    return StoredMedia(next(iter(objects)), rows, new_keys)

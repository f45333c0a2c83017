"""Media processing: validate uploads by content, render image variants, check videos, store bytes.

    media = process_upload(data, max_image_bytes=..., max_video_bytes=..., max_video_seconds=60)
    stored = store_media(make_store(StoreConfig(type="local", root=home / "media")), media)

A pure library: no database, no HTTP. TooLarge maps to 413, any other MediaRejected to 422.
"""

from social_core.media.decode import ACCEPTED_FORMATS, DEFAULT_MAX_PIXELS, decode_image
from social_core.media.errors import MediaRejected, TooLarge
from social_core.media.images import ProcessedImage, process_image
from social_core.media.sniff import sniff
from social_core.media.storage import (
    STORES,
    LocalStore,
    ObjectNotFound,
    ObjectStore,
    StoreConfig,
    content_key,
    make_store,
)
from social_core.media.upload import ProcessedMedia, StoredMedia, process_upload, store_media
from social_core.media.variants import ImageOptions, Variant, avif_available
from social_core.media.video import VideoInfo, inspect_video

__all__ = [
    "ACCEPTED_FORMATS",
    "DEFAULT_MAX_PIXELS",
    "STORES",
    "ImageOptions",
    "LocalStore",
    "MediaRejected",
    "ObjectNotFound",
    "ObjectStore",
    "ProcessedImage",
    "ProcessedMedia",
    "StoreConfig",
    "StoredMedia",
    "TooLarge",
    "Variant",
    "VideoInfo",
    "avif_available",
    "content_key",
    "decode_image",
    "inspect_video",
    "make_store",
    "process_image",
    "process_upload",
    "sniff",
    "store_media",
]

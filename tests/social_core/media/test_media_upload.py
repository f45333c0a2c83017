from __future__ import annotations

from pathlib import Path

import pytest

from social_core.media import (
    LocalStore,
    MediaRejected,
    ProcessedMedia,
    TooLarge,
    process_upload,
    sniff,
    store_media,
)
from tests.social_core.media.factories import encode, photo


def upload(data: bytes, *, max_image_bytes: int = 5_000_000, avif: bool = False) -> ProcessedMedia:
    return process_upload(
        data, max_image_bytes=max_image_bytes, max_video_bytes=50_000_000, max_video_seconds=60, avif=avif
    )


def test_sniff_by_magic_bytes() -> None:
    assert sniff(encode(photo((8, 8)), "JPEG")) == "image"
    assert sniff(encode(photo((8, 8)), "PNG")) == "image"
    assert sniff(encode(photo((8, 8)), "WEBP")) == "image"
    assert sniff(encode(photo((8, 8)), "GIF")) == "image"
    assert sniff(b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00") == "image"
    assert sniff(b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00") == "video"
    assert sniff(b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00") == "video"
    assert sniff(b"%PDF-1.7") is None


def test_image_upload_is_processed_and_stored(tmp_path: Path) -> None:
    data = encode(photo((800, 600)), "JPEG")
    media = upload(data)
    assert (media.kind, media.content_type, media.width, media.height) == ("image", "image/jpeg", 800, 600)
    assert media.duration_s is None
    assert {v.format for v in media.variants} == {"jpeg", "webp"}

    store = LocalStore(tmp_path)
    stored = store_media(store, media)
    assert store.get(stored.original_key) == data and stored.original_key.endswith(".jpg")
    assert len(stored.variants) == 8
    for row, variant in zip(stored.variants, media.variants, strict=True):
        assert store.get(row["key"]) == variant.data
        assert row == {
            "size": variant.size,
            "format": variant.format,
            "width": variant.width,
            "height": variant.height,
            "key": row["key"],
            "bytes": len(variant.data),
        }


def test_avif_flag() -> None:
    media = upload(encode(photo((100, 100)), "PNG"), avif=True)
    assert "avif" in {v.format for v in media.variants}


def test_unsupported_and_oversized_uploads() -> None:
    with pytest.raises(MediaRejected, match="unsupported file"):
        upload(b"#!/bin/sh\necho hi\n")
    data = encode(photo((300, 300)), "PNG")
    with pytest.raises(TooLarge):
        upload(data, max_image_bytes=1000)

from __future__ import annotations

from pathlib import Path

import pytest

from social_core.media import MediaRejected, TooLarge, inspect_video, process_upload
from tests.social_core.media.factories import make_video


def test_mp4_duration_and_poster(tmp_path: Path) -> None:
    info = inspect_video(make_video(tmp_path, 2), max_seconds=60)
    assert info.duration_s == pytest.approx(2.0, abs=0.1)
    assert info.content_type == "video/mp4"
    assert info.poster.startswith(b"\xff\xd8")


def test_mov_is_quicktime(tmp_path: Path) -> None:
    info = inspect_video(make_video(tmp_path, 1, container="mov"), max_seconds=15)
    assert info.content_type == "video/quicktime"


def test_a_20_second_video_is_too_long_for_a_story(tmp_path: Path) -> None:
    data = make_video(tmp_path, 20, size="32x24")
    with pytest.raises(MediaRejected, match=r"20\.0 s long; the limit is 15 s"):
        inspect_video(data, max_seconds=15)
    assert inspect_video(data, max_seconds=60).duration_s == pytest.approx(20.0, abs=0.2)


def test_non_videos_are_rejected() -> None:
    for data in (b"", b"not a video at all", b"\x00\x00\x00\x18ftypisom" + b"\x00" * 200):
        with pytest.raises(MediaRejected):
            inspect_video(data, max_seconds=60)


def test_truncated_video_is_rejected(tmp_path: Path) -> None:
    data = make_video(tmp_path, 2)
    with pytest.raises(MediaRejected):
        inspect_video(data[: len(data) // 3], max_seconds=60)


def test_video_byte_cap(tmp_path: Path) -> None:
    data = make_video(tmp_path, 1)
    with pytest.raises(TooLarge):
        inspect_video(data, max_seconds=60, max_bytes=100)


def test_process_upload_renders_the_poster(tmp_path: Path) -> None:
    data = make_video(tmp_path, 2, size="320x240")
    media = process_upload(data, max_image_bytes=1000, max_video_bytes=10_000_000, max_video_seconds=60)
    assert media.kind == "video" and media.content_type == "video/mp4" and media.original == data
    assert media.duration_s == pytest.approx(2.0, abs=0.1)
    assert (media.width, media.height) == (320, 240)
    assert media.blurhash
    assert (
        media.phash
        == process_upload(media.image.original, max_image_bytes=10**7, max_video_bytes=0, max_video_seconds=0).phash
    )
    assert {v.size for v in media.variants} == {"thumbnail", "small", "medium", "large"}

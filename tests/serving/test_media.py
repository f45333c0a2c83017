from __future__ import annotations

import io
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import create_engine, text

from serving.app import create_app
from serving.settings import Settings
from social_core.media import avif_available
from tests.serving.conftest import Api
from tests.social_core.media.factories import gps_jpeg, jpeg_segments, make_video, png_header_only, riff_chunks

SIDES = {"small": 320, "medium": 640, "large": 1080}


def _stored_files(settings: Settings) -> list[Path]:
    root = settings.home / "media"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def _metadata(data: bytes, fmt: str) -> list[bytes]:
    """Metadata blocks in a file: APP1 (EXIF/XMP) and APP2 (ICC) JPEG segments, EXIF/XMP WebP chunks."""
    if fmt == "jpeg":
        return [segment[:12] for segment in jpeg_segments(data) if segment[1] in (0xE1, 0xE2)]
    if fmt == "webp":
        return [chunk for chunk in riff_chunks(data) if chunk in (b"EXIF", b"XMP ", b"ICCP")]
    return [data[:0]] if b"Exif\0\0" in data else []


def test_upload_serves_every_variant_without_metadata(client: TestClient, api: Api) -> None:
    api.signup("alice")
    response = api.as_("alice").post("/v1/media", files={"file": ("x.png", gps_jpeg((1200, 900)), "image/png")})
    assert response.status_code == 201
    media = response.json()
    assert (media["kind"], media["width"], media["height"]) == ("image", 900, 1200)  # EXIF orientation 6 applied
    assert media["blurhash"]
    assert {(v["size"], v["format"]) for v in media["variants"]} >= {
        (s, f) for s in [*SIDES, "thumbnail"] for f in ("jpeg", "webp")
    }
    for variant in media["variants"]:
        served = client.get(variant["url"])
        assert served.status_code == 200
        assert served.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert _metadata(served.content, variant["format"]) == []
        image = Image.open(io.BytesIO(served.content))
        assert not image.getexif()
        expected = (150, 150) if variant["size"] == "thumbnail" else None
        assert image.size == (expected or (variant["width"], variant["height"]))
        if expected is None:
            assert max(image.size) == min(SIDES[variant["size"]], 1200)
        again = client.get(variant["url"], headers={"If-None-Match": served.headers["etag"]})
        assert again.status_code == 304


def test_avif_variants_when_enabled(settings: Settings) -> None:
    if not avif_available():
        pytest.skip("this Pillow cannot encode AVIF")
    with TestClient(create_app(settings.model_copy(update={"media_avif": True}))) as client:
        api = Api(client)
        api.signup("alice")
        media = api.as_("alice").post("/v1/media", files={"file": ("a.jpg", gps_jpeg((400, 300)), "image/jpeg")}).json()
        avif = [v for v in media["variants"] if v["format"] == "avif"]
        assert len(avif) == 4
        assert client.get(avif[0]["url"]).headers["content-type"] == "image/avif"


def _truncated() -> bytes:
    data = gps_jpeg((300, 300))
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("data", "status", "detail"),
    [
        (b"just some text, named photo.jpg", 422, "unsupported file"),
        (_truncated(), 422, ""),
        (png_header_only(10_000, 10_000), 422, "pixels"),
        (b"\xff\xd8\xff" + b"\0" * 3000, 413, "limit"),
    ],
    ids=["text", "truncated", "bomb", "too-large"],
)
def test_bad_uploads_leave_nothing_behind(settings: Settings, data: bytes, status: int, detail: str) -> None:
    caps = {"max_image_bytes": 2000, "max_video_bytes": 2000} if status == 413 else {}
    with TestClient(create_app(settings.model_copy(update=caps))) as client:
        api = Api(client)
        api.signup("alice")
        response = api.as_("alice").post("/v1/media", files={"file": ("photo.jpg", data, "image/jpeg")})
    assert response.status_code == status, response.text
    assert detail in response.json()["detail"]
    assert _stored_files(settings) == []
    engine = create_engine(settings.db_url)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM media")).scalar() == 0
        assert connection.execute(text("SELECT count(*) FROM events WHERE type = 'media_uploaded'")).scalar() == 0
    engine.dispose()


def test_upload_needs_a_user_and_unknown_variants_are_404(client: TestClient, api: Api) -> None:
    assert client.post("/v1/media", files={"file": ("a.jpg", b"x", "image/jpeg")}).status_code == 401
    api.signup("alice")
    assert api.as_("alice").post("/v1/media").status_code == 422  # no file
    media_id = api.upload("alice")
    assert client.get(f"/media/{media_id}_huge.jpeg").status_code == 404
    assert client.get("/media/123_small.jpeg").status_code == 404
    assert client.get("/media/../../etc/passwd").status_code == 404


def test_video_upload_for_a_post_and_the_story_limit(client: TestClient, api: Api, tmp_path: Path) -> None:
    api.signup("alice")
    alice = api.as_("alice")
    short = alice.post("/v1/media", files={"file": ("clip.bin", make_video(tmp_path, 2), "video/mp4")})
    assert short.status_code == 201, short.text
    video = short.json()
    assert video["kind"] == "video" and 1.5 < video["duration_s"] < 2.5
    assert client.get(next(v["url"] for v in video["variants"] if v["size"] == "thumbnail")).status_code == 200
    assert alice.post("/v1/posts", json={"caption": "clip", "media_ids": [video["id"]]}).status_code == 201
    long = alice.post("/v1/media", files={"file": ("long.mp4", make_video(tmp_path, 20), "video/mp4")}).json()
    story = alice.post("/v1/stories", json={"media_id": long["id"]})
    assert story.status_code == 422
    assert "15" in story.json()["detail"]

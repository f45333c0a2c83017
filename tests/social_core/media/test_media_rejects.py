from __future__ import annotations

import pytest

from social_core.media import ImageOptions, MediaRejected, TooLarge, process_image
from tests.social_core.media.factories import encode, photo, png_header_only

MAX_BYTES = 20_000_000


@pytest.mark.parametrize(
    ("width", "height"),
    [(8000, 8000), (10000, 10000), (20000, 20000)],  # our 50 MP cap; Pillow's warning (89 MP); its error (179 MP)
)
def test_decompression_bombs_are_rejected_from_the_header(width: int, height: int) -> None:
    data = png_header_only(width, height)
    assert len(data) < 100_000
    with pytest.raises(MediaRejected, match="too many pixels"):
        process_image(data, max_bytes=MAX_BYTES)


def test_pixel_cap_is_a_parameter() -> None:
    data = encode(photo((200, 200)), "PNG")
    with pytest.raises(MediaRejected, match=r"0\.01 megapixels"):
        process_image(data, max_bytes=MAX_BYTES, options=ImageOptions(max_pixels=10_000))


def test_truncated_jpeg_is_rejected() -> None:
    data = encode(photo((400, 300)), "JPEG")
    with pytest.raises(MediaRejected, match="corrupt or truncated"):
        process_image(data[: len(data) // 2], max_bytes=MAX_BYTES)


def test_truncated_png_is_rejected() -> None:
    data = encode(photo((400, 300)), "PNG")
    with pytest.raises(MediaRejected, match="corrupt or truncated"):
        process_image(data[: len(data) - 2000], max_bytes=MAX_BYTES)


@pytest.mark.parametrize(
    "data",
    [b"", b"hello, this is a text file renamed photo.jpg\n", b"\xff\xd8\xff" + b"\x00" * 64, b"GIF89a"],
)
def test_non_images_are_rejected(data: bytes) -> None:
    with pytest.raises(MediaRejected):
        process_image(data, max_bytes=MAX_BYTES)


def test_formats_we_do_not_accept_are_rejected() -> None:
    for fmt in ("BMP", "TIFF", "PPM"):
        with pytest.raises(MediaRejected, match="not a photo we accept"):
            process_image(encode(photo((32, 32)), fmt), max_bytes=MAX_BYTES)


def test_byte_cap_raises_too_large() -> None:
    data = encode(photo((200, 200)), "PNG")
    with pytest.raises(TooLarge) as caught:
        process_image(data, max_bytes=len(data) - 1)
    assert isinstance(caught.value, MediaRejected)
    assert caught.value.size == len(data) and caught.value.limit == len(data) - 1

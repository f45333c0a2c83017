from __future__ import annotations

import io

import pillow_heif
import pytest
from PIL import Image

from social_core.media import ImageOptions, ProcessedImage, Variant, avif_available, decode_image, process_image
from social_core.media.decode import register_heif
from tests.social_core.media.factories import (
    MAKER,
    encode,
    gps_jpeg,
    jpeg_segments,
    photo,
    riff_chunks,
    swapped_rgb_profile,
)

MAX_BYTES = 20_000_000
LONG_SIDES = {"small": 320, "medium": 640, "large": 1080}


def open_variant(variant: Variant) -> Image.Image:
    image = Image.open(io.BytesIO(variant.data))
    image.load()
    assert image.format == variant.format.upper()
    assert image.size == (variant.width, variant.height)
    return image


def is_red(pixel: object) -> bool:
    assert isinstance(pixel, tuple)
    red, green, blue = pixel[:3]
    return bool(red > 200 and green < 60 and blue < 60)


def assert_sizes(processed: ProcessedImage, upright: tuple[int, int]) -> None:
    for variant in processed.variants:
        if variant.size == "thumbnail":
            assert (variant.width, variant.height) == (150, 150)
            continue
        scale = min(1.0, LONG_SIDES[variant.size] / max(upright))
        assert (variant.width, variant.height) == (round(upright[0] * scale), round(upright[1] * scale))


def assert_no_metadata(variant: Variant) -> None:
    image = open_variant(variant)
    assert not image.getexif()
    assert not {"exif", "xmp", "icc_profile", "XML:com.adobe.xmp"} & set(image.info)
    assert b"Exif" not in variant.data
    assert MAKER.encode() not in variant.data
    if variant.format == "jpeg":
        markers = {segment[:2] for segment in jpeg_segments(variant.data)}
        assert not markers & {b"\xff\xe1", b"\xff\xe2", b"\xff\xfe"}  # APP1 (EXIF, XMP), APP2 (ICC), COM
        assert all(b"GPS" not in segment for segment in jpeg_segments(variant.data))
    elif variant.format == "webp":
        assert set(riff_chunks(variant.data)) <= {b"VP8 ", b"VP8L", b"VP8X", b"ALPH"}


def test_jpeg_with_gps_and_orientation_is_rotated_stripped_and_resized() -> None:
    data = gps_jpeg((1200, 900), orientation=6)  # stored landscape, displayed portrait
    source = Image.open(io.BytesIO(data))
    assert source.getexif().get_ifd(0x8825) and "xmp" in source.info and "icc_profile" in source.info

    processed = process_image(data, max_bytes=MAX_BYTES)

    assert (processed.width, processed.height) == (900, 1200)
    assert processed.original == data and processed.content_type == "image/jpeg"
    assert [(v.size, v.format) for v in processed.variants] == [
        (size, fmt) for size in ("thumbnail", "small", "medium", "large") for fmt in ("jpeg", "webp")
    ]
    assert_sizes(processed, (900, 1200))
    assert processed.variant("large", "jpeg").height == 1080
    for variant in processed.variants:
        assert_no_metadata(variant)
    # The red landmark was the stored top-left quadrant; rotated 90° clockwise it is now top-right.
    large = open_variant(processed.variant("large", "webp")).convert("RGB")
    assert is_red(large.getpixel((large.width - 20, 20)))
    assert not is_red(large.getpixel((20, 20)))
    assert not is_red(large.getpixel((large.width - 20, large.height - 20)))
    assert open_variant(processed.variant("large", "jpeg")).info.get("progressive")


def test_blurhash_is_a_4x3_placeholder() -> None:
    processed = process_image(encode(photo((400, 300)), "PNG"), max_bytes=MAX_BYTES)
    assert len(processed.blurhash) == 28  # 1 size flag + 1 max AC + 4 DC + 2 × 11 AC characters
    assert processed.blurhash[0] == "L"  # base83 of (4 - 1) + (3 - 1) × 9 = 21


def test_small_images_are_never_upscaled_but_the_thumbnail_is_exact() -> None:
    processed = process_image(encode(photo((200, 100)), "PNG"), max_bytes=MAX_BYTES)
    assert_sizes(processed, (200, 100))
    assert {(v.width, v.height) for v in processed.variants if v.size != "thumbnail"} == {(200, 100)}
    # one encoding shared by the sizes that are the same image
    assert processed.variant("small", "webp").data is processed.variant("large", "webp").data


def test_panorama_thumbnail_is_a_centre_crop() -> None:
    processed = process_image(encode(photo((4000, 500)), "JPEG"), max_bytes=MAX_BYTES)
    assert_sizes(processed, (4000, 500))
    assert (processed.variant("small", "jpeg").width, processed.variant("small", "jpeg").height) == (320, 40)
    thumbnail = open_variant(processed.variant("thumbnail", "jpeg"))
    assert thumbnail.size == (150, 150)


def test_large_jpeg_is_draft_decoded_to_the_same_sizes() -> None:
    data = encode(photo((2400, 1800)), "JPEG", quality=80)
    assert decode_image(data, min_size=(1080, 150)).image.size == (1200, 900)  # libjpeg decoded it at 1/2
    assert decode_image(data).image.size == (2400, 1800)
    processed = process_image(data, max_bytes=MAX_BYTES)
    assert (processed.width, processed.height) == (2400, 1800)
    assert_sizes(processed, (2400, 1800))


def test_png_alpha_is_flattened_on_white() -> None:
    image = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    image.paste((0, 0, 255, 255), (0, 200, 400, 400))
    processed = process_image(encode(image, "PNG"), max_bytes=MAX_BYTES)
    assert processed.content_type == "image/png"
    for fmt in ("jpeg", "webp"):
        large = open_variant(processed.variant("large", fmt))
        assert large.mode == "RGB"
        assert min(large.getpixel((200, 50))) > 240  # type: ignore[arg-type]
        red, green, blue = large.getpixel((200, 350))  # type: ignore[misc]
        assert blue > 200 and red < 40 and green < 40


def test_gif_first_frame_is_used() -> None:
    frames = [Image.new("RGB", (300, 200), colour) for colour in ((255, 0, 0), (0, 255, 0))]
    data = encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    processed = process_image(data, max_bytes=MAX_BYTES)
    assert processed.content_type == "image/gif"
    red, green, _ = open_variant(processed.variant("medium", "jpeg")).getpixel((150, 100))  # type: ignore[misc]
    assert red > 200 and green < 50


def test_webp_upload() -> None:
    processed = process_image(encode(photo((700, 500)), "WEBP"), max_bytes=MAX_BYTES)
    assert processed.content_type == "image/webp"
    assert_sizes(processed, (700, 500))


def test_heic_upload() -> None:
    if not pillow_heif.libheif_info()["HEIF"]:
        pytest.skip("this libheif build has no HEVC encoder, so no HEIC can be made in the test")
    register_heif()  # also registers the HEIF encoder with Pillow
    processed = process_image(encode(photo((640, 480)), "HEIF", quality=80), max_bytes=MAX_BYTES)
    assert processed.content_type == "image/heic"
    assert (processed.width, processed.height) == (640, 480)
    assert_sizes(processed, (640, 480))
    for variant in processed.variants:
        assert_no_metadata(variant)


def test_embedded_colour_profile_is_converted_to_srgb_then_dropped() -> None:
    data = encode(Image.new("RGB", (64, 64), (255, 0, 0)), "PNG", icc_profile=swapped_rgb_profile())
    processed = process_image(data, max_bytes=MAX_BYTES)
    for variant in processed.variants:
        image = open_variant(variant)
        assert "icc_profile" not in image.info
        red, _, blue = image.convert("RGB").getpixel((32, 32))  # type: ignore[misc]
        assert blue > 200 and red < 60  # the profile's "red" is sRGB blue


def test_broken_colour_profile_is_ignored() -> None:
    data = encode(photo((64, 64)), "JPEG", icc_profile=b"not a profile at all")
    processed = process_image(data, max_bytes=MAX_BYTES)
    assert all("icc_profile" not in open_variant(v).info for v in processed.variants)


def test_avif_variants_when_asked_for() -> None:
    if not avif_available():
        pytest.skip("this Pillow cannot encode AVIF")
    processed = process_image(encode(photo((400, 300)), "PNG"), max_bytes=MAX_BYTES, options=ImageOptions(avif=True))
    avif = [v for v in processed.variants if v.format == "avif"]
    assert [v.size for v in avif] == ["thumbnail", "small", "medium", "large"]
    assert all(v.content_type == "image/avif" and not open_variant(v).getexif() for v in avif)


def test_grayscale_and_palette_uploads_become_rgb() -> None:
    for image in (photo((300, 200), "L"), photo((300, 200), "P"), photo((300, 200), "CMYK")):
        fmt = "JPEG" if image.mode == "CMYK" else "PNG"
        processed = process_image(encode(image, fmt), max_bytes=MAX_BYTES)
        assert all(open_variant(v).mode == "RGB" for v in processed.variants)

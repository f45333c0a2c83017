"""The image pipeline: decode and validate → upright, sRGB, no metadata → every size → every format,
plus a blurhash placeholder and a perceptual hash. Each step is a public function (benchmarks/media.py
times them one by one)."""

from __future__ import annotations

from dataclasses import dataclass, field

from social_core.media.decode import decode_image
from social_core.media.errors import TooLarge
from social_core.media.fingerprint import phash_of
from social_core.media.normalize import normalize
from social_core.media.placeholder import blurhash_of
from social_core.media.variants import LONG_SIDES, THUMBNAIL_SIDE, ImageOptions, Variant, encode_all, resize_all

DECODE_AT_LEAST = (max(LONG_SIDES.values()), THUMBNAIL_SIDE)  # (long side, short side) the sizes need


@dataclass(frozen=True)
class ProcessedImage:
    width: int  # the original's, upright
    height: int
    blurhash: str
    phash: int  # `fingerprint.phash_of` the small size: near-duplicate reposts lie within a few bits
    variants: list[Variant]
    original: bytes = field(repr=False)  # the untouched upload (with its metadata): keep it private
    content_type: str = "image/jpeg"  # of the original

    def variant(self, size: str, fmt: str) -> Variant:
        for variant in self.variants:
            if variant.size == size and variant.format == fmt:
                return variant
        raise KeyError(f"no {size} {fmt} variant")


def process_image(data: bytes, *, max_bytes: int, options: ImageOptions | None = None) -> ProcessedImage:
    """Validate an uploaded image and render its variants; raise TooLarge or MediaRejected."""
    options = options or ImageOptions()
    if len(data) > max_bytes:
        raise TooLarge(len(data), max_bytes, "the image")
    decoded = decode_image(data, max_pixels=options.max_pixels, min_size=DECODE_AT_LEAST)
    images = resize_all(normalize(decoded))
    width, height = decoded.upright_size
    return ProcessedImage(
        width=width,
        height=height,
        blurhash=blurhash_of(images["small"]),
        phash=phash_of(images["small"]),
        variants=encode_all(images, options),
        original=data,
        content_type=decoded.content_type,
    )

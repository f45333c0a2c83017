"""The served renditions of an image: a square thumbnail and three long-side sizes, each encoded as
progressive JPEG and WebP (and AVIF when asked for and the installed Pillow can encode it)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from PIL import Image, features

LONG_SIDES = {"large": 1080, "medium": 640, "small": 320}  # largest first: each is resized from the previous
THUMBNAIL = "thumbnail"
THUMBNAIL_SIDE = 150
SIZE_ORDER = (THUMBNAIL, "small", "medium", "large")
RESAMPLE = Image.Resampling.BICUBIC  # LANCZOS costs ~35 % more on the 1350 → 1080 step for no visible gain
REDUCING_GAP = 3.0  # downscales of 3× or more first reduce() by an integer factor (fast box), then resample
CONTENT_TYPES = {"jpeg": "image/jpeg", "webp": "image/webp", "avif": "image/avif"}
EXTENSIONS = {"jpeg": "jpg", "webp": "webp", "avif": "avif"}


@dataclass(frozen=True)
class ImageOptions:
    """How uploads are validated and encoded. The defaults are tuned for one thread (benchmarks/media.py)."""

    max_pixels: int = 50_000_000
    jpeg_quality: int = 82
    webp_quality: int = 80
    webp_method: int = 0  # 0 = fastest; 4 (Pillow's default) is ~3× slower for ~12 % smaller files
    avif: bool = False
    avif_quality: int = 60
    avif_speed: int = 8
    avif_threads: int = 1

    @property
    def formats(self) -> tuple[str, ...]:
        return ("jpeg", "webp", "avif") if self.avif and avif_available() else ("jpeg", "webp")


@dataclass(frozen=True)
class Variant:
    size: str  # thumbnail | small | medium | large
    format: str  # jpeg | webp | avif
    width: int
    height: int
    data: bytes = field(repr=False)
    content_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def avif_available() -> bool:
    return bool(features.check("avif"))


def fit_long_side(image: Image.Image, long_side: int, base: tuple[int, int]) -> Image.Image:
    """Scale `image` so the long side of `base` (the full image's size) becomes `long_side`; never upscale.

    Target dimensions come from `base`, not from `image`, so that resizing a chain of already
    reduced images keeps the aspect ratio of the original exactly.
    """
    scale = long_side / max(base)
    if scale >= 1:
        return image
    size = (max(1, round(base[0] * scale)), max(1, round(base[1] * scale)))
    if size == image.size:
        return image
    return image.resize(size, RESAMPLE, reducing_gap=REDUCING_GAP)


def square_thumbnail(image: Image.Image, side: int = THUMBNAIL_SIDE) -> Image.Image:
    """Centre crop to a square and resize it to exactly side × side."""
    width, height = image.size
    crop = min(width, height)
    left, top = (width - crop) / 2, (height - crop) / 2
    return image.resize((side, side), RESAMPLE, box=(left, top, left + crop, top + crop), reducing_gap=REDUCING_GAP)


def resize_steps(image: Image.Image) -> Iterator[tuple[str, Image.Image]]:
    """Every size from largest to smallest, each resized from the previous result; then the thumbnail,
    from the smallest result that still covers it. Lazy, so each step can be timed."""
    current, done = image, []
    for name, long_side in LONG_SIDES.items():
        current = fit_long_side(current, long_side, image.size)
        done.append(current)
        yield name, current
    covering = [im for im in reversed(done) if min(im.size) >= THUMBNAIL_SIDE]
    yield THUMBNAIL, square_thumbnail(covering[0] if covering else image)


def resize_all(image: Image.Image) -> dict[str, Image.Image]:
    return dict(resize_steps(image))


def encode_jpeg(image: Image.Image, options: ImageOptions) -> bytes:
    return _save(image, "JPEG", quality=options.jpeg_quality, optimize=True, progressive=True)


def encode_webp(image: Image.Image, options: ImageOptions) -> bytes:
    return _save(image, "WEBP", quality=options.webp_quality, method=options.webp_method)


def encode_avif(image: Image.Image, options: ImageOptions) -> bytes:
    threads = options.avif_threads
    return _save(image, "AVIF", quality=options.avif_quality, speed=options.avif_speed, max_threads=threads)


ENCODERS: dict[str, Callable[[Image.Image, ImageOptions], bytes]] = {
    "jpeg": encode_jpeg,
    "webp": encode_webp,
    "avif": encode_avif,
}


def encode_all(images: Mapping[str, Image.Image], options: ImageOptions) -> list[Variant]:
    """Encode every size in every format; sizes that are the same image (small uploads) share the bytes."""
    variants: list[Variant] = []
    done: dict[tuple[int, str], bytes] = {}
    for size in SIZE_ORDER:
        image = images[size]
        for fmt in options.formats:
            key = (id(image), fmt)
            if key not in done:
                done[key] = ENCODERS[fmt](image, options)
            variants.append(Variant(size, fmt, image.width, image.height, done[key], CONTENT_TYPES[fmt]))
    return variants


def _save(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()

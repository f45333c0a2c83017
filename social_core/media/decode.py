"""Open an upload as an image by its content: accepted formats only, a pixel cap read from the header
before any pixel is decoded, then a full decode so that truncated files fail here and not later."""

from __future__ import annotations

import functools
import io
import math
import warnings
from dataclasses import dataclass

import pillow_heif
from PIL import Image, UnidentifiedImageError

from social_core.media.errors import MediaRejected

DEFAULT_MAX_PIXELS = 50_000_000
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "HEIF", "AVIF")
CONTENT_TYPES = {
    "JPEG": "image/jpeg",
    "PNG": "image/png",
    "WEBP": "image/webp",
    "GIF": "image/gif",
    "HEIF": "image/heic",
    "AVIF": "image/avif",
}
ORIENTATION_TAG = 0x0112
UNSUPPORTED = "this file is not a photo we accept: upload a JPEG, PNG, WebP, GIF or HEIC image"
CORRUPT = "the image could not be read: the file is corrupt or truncated"


@dataclass
class Decoded:
    """A fully decoded upload. `image` may be smaller than width × height (JPEG draft decoding)."""

    image: Image.Image
    format: str
    width: int  # as stored, before EXIF orientation
    height: int
    orientation: int  # EXIF orientation, 1 when absent
    icc_profile: bytes | None

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.format]

    @property
    def upright_size(self) -> tuple[int, int]:
        """Width and height of the original as it is meant to be seen."""
        return (self.height, self.width) if self.orientation in (5, 6, 7, 8) else (self.width, self.height)


@functools.cache
def register_heif() -> None:
    """Teach Pillow to open HEIC/HEIF (once per process); skip thumbnails, depth and auxiliary images."""
    pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)


def decode_image(
    data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, min_size: tuple[int, int] | None = None
) -> Decoded:
    """Validate and decode `data`, or raise MediaRejected.

    `min_size` = (long side, short side) the caller still needs: a JPEG far larger than that is
    decoded at 1/2, 1/4 or 1/8 scale by libjpeg itself (much faster, same result after resizing).
    """
    register_heif()
    try:
        # Pillow warns (89 MP) or raises (179 MP) on its own; our cap is lower and checked first,
        # but an image between the two would otherwise only warn. (catch_warnings is process-wide.)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
            _check_pixels(image.size, max_pixels)
            header = _header(image)
            if min_size is not None and image.format == "JPEG":
                _draft(image, min_size)
            image.load()
    except MediaRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise MediaRejected(_too_many_pixels(max_pixels)) from error
    except UnidentifiedImageError as error:
        raise MediaRejected(UNSUPPORTED) from error
    except Exception as error:  # Pillow raises OSError, SyntaxError, ValueError, struct.error... on bad data
        raise MediaRejected(CORRUPT) from error
    return Decoded(image, *header)


def _header(image: Image.Image) -> tuple[str, int, int, int, bytes | None]:
    if image.format not in CONTENT_TYPES:
        raise MediaRejected(UNSUPPORTED)
    try:
        orientation = int(image.getexif().get(ORIENTATION_TAG, 1))
    except Exception:  # a broken EXIF block is metadata we drop anyway
        orientation = 1
    icc = image.info.get("icc_profile")
    return image.format, image.width, image.height, orientation, icc if isinstance(icc, bytes) and icc else None


def _check_pixels(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width < 1 or height < 1:
        raise MediaRejected(CORRUPT)
    if width * height > max_pixels:
        raise MediaRejected(_too_many_pixels(max_pixels))


def _too_many_pixels(max_pixels: int) -> str:
    return f"the image has too many pixels: the limit is {max_pixels / 1e6:g} megapixels"


def _draft(image: Image.Image, min_size: tuple[int, int]) -> None:
    long_side, short_side = max(image.size), min(image.size)
    scale = max(min_size[0] / long_side, min_size[1] / short_side)
    if scale < 0.5:
        image.draft(None, (math.ceil(image.width * scale), math.ceil(image.height * scale)))

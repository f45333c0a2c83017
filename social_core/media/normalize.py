"""Make a decoded upload safe and uniform: upright (EXIF orientation), sRGB, RGB on white, and with
no metadata left at all (EXIF with GPS, XMP, ICC, comments)."""

from __future__ import annotations

import functools
import io

from PIL import Image, ImageCms

from social_core.media.decode import Decoded

BACKGROUND = (255, 255, 255)
_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_HIGH_BIT_DEPTH = {"I", "I;16", "I;16B", "I;16L", "I;16N", "F"}


def normalize(decoded: Decoded) -> Image.Image:
    """Return an upright, sRGB, RGB image whose `info` is empty, so no encoder writes metadata."""
    image = decoded.image
    method = _TRANSPOSE.get(decoded.orientation)
    if method is not None:
        image = image.transpose(method)  # what ImageOps.exif_transpose does, minus rewriting the EXIF we drop
    image = to_srgb(flatten(image), decoded.icc_profile)
    image.info = {}
    return image


def flatten(image: Image.Image) -> Image.Image:
    """Composite transparency on white; leave RGB, L and CMYK (the modes colour profiles describe)."""
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, BACKGROUND)
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode in _HIGH_BIT_DEPTH:
        return image.convert("I").point(lambda value: value / 257).convert("L")
    if image.mode not in ("RGB", "L", "CMYK"):
        return image.convert("RGB")
    return image


def to_srgb(image: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Convert from the embedded profile to sRGB (when there is one and it is not sRGB already), then RGB."""
    transform = _transform(icc_profile, image.mode) if icc_profile else None
    if transform is not None:
        try:
            converted = ImageCms.applyTransform(image, transform)
        except (ImageCms.PyCMSError, ValueError, OSError):  # a profile that does not fit the pixels: ignore it
            converted = None
        if converted is not None:
            image = converted
    return image if image.mode == "RGB" else image.convert("RGB")


@functools.cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@functools.lru_cache(maxsize=32)
def _transform(icc_profile: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """Build (and cache: building costs milliseconds) the transform to sRGB, None if not needed or broken."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if "srgb" in ImageCms.getProfileDescription(source).lower():
            return None
        return ImageCms.buildTransform(source, _srgb(), mode, "RGB", ImageCms.Intent.PERCEPTUAL)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return None

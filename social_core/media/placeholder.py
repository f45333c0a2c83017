"""A blurhash placeholder string: what the app paints while the real image loads."""

from __future__ import annotations

import blurhash
from PIL import Image

PLACEHOLDER_SIDE = 32
COMPONENTS = (4, 3)


def blurhash_of(image: Image.Image, components: tuple[int, int] = COMPONENTS) -> str:
    """Blurhash of an RGB image, computed on a copy at most 32 px on its long side (pass a small size)."""
    scale = PLACEHOLDER_SIDE / max(image.size)
    if scale < 1:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BILINEAR, reducing_gap=2.0)
    return _encode(image.convert("RGB") if image.mode != "RGB" else image, *components)


def _encode(image: Image.Image, x_components: int, y_components: int) -> str:
    # blurhash.encode() builds a Python list through Image.getdata(), which Pillow 14 removes; feed its
    # C function the packed RGB bytes directly (blurhash-python is pinned, this mirrors its encode()).
    ffi, lib = blurhash._ffi, blurhash._lib
    width, height = image.size
    pixels = ffi.from_buffer("uint8_t[]", image.tobytes())
    destination = ffi.new("char[]", 2 + 4 + (9 * 9 - 1) * 2 + 1)
    result = lib.create_hash_from_pixels(x_components, y_components, width, height, pixels, width * 3, destination)
    if result == ffi.NULL:
        raise ValueError(f"invalid blurhash components {x_components}×{y_components}")
    return str(ffi.string(result).decode())

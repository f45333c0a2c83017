"""A 64-bit perceptual hash (`imagehash.phash`) of a picture, as a signed int so it fits a BigInteger.

Two pictures whose hashes differ in few bits look alike: a repost, recompressed or resized, lands
within a few bits of its original; an unrelated picture near half of them (`hamming`).
"""

from __future__ import annotations

import imagehash
import numpy as np
from PIL import Image


def phash_of(image: Image.Image) -> int:
    """The DCT hash of an RGB image (pass a small size: the hash reads a 32 px copy)."""
    bits = np.packbits(imagehash.phash(image).hash.reshape(-1))
    return int.from_bytes(bits.tobytes(), "big", signed=True)


def hamming(a: np.ndarray | int, b: np.ndarray | int) -> np.ndarray:
    """Differing bits of signed 64-bit hashes (viewed unsigned: `np.bitwise_count` counts |x| of a signed int)."""
    xor = np.bitwise_xor(np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64))
    return np.bitwise_count(xor.view(np.uint64))

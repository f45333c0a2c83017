from __future__ import annotations

import io

import numpy as np
from PIL import Image

from social_core.media import process_image
from social_core.media.fingerprint import hamming, phash_of
from tests.social_core.media.factories import encode, photo

NEAR = 8  # bits of 64: `ranking.selectors.near_duplicates` default


def recompressed(data: bytes, size: tuple[int, int], quality: int) -> bytes:
    """What a repost goes through: decoded, resized, saved again at another quality."""
    image = Image.open(io.BytesIO(data)).convert("RGB").resize(size, Image.Resampling.BILINEAR)
    return encode(image, "JPEG", quality=quality)


def test_a_resized_recompressed_copy_is_near_and_an_unrelated_picture_far() -> None:
    original = encode(photo((800, 600)), "JPEG", quality=92)
    other = encode(photo((800, 600)).transpose(Image.Transpose.ROTATE_180), "JPEG", quality=92)
    hashes = [process_image(data, max_bytes=10**7).phash for data in (original, recompressed(original, (500, 375), 60))]
    unrelated = process_image(other, max_bytes=10**7).phash
    assert hamming(hashes[0], hashes[1]) <= NEAR
    assert hamming(hashes[0], unrelated) > 3 * NEAR


def test_the_hash_is_a_signed_64_bit_int_and_hamming_counts_every_bit() -> None:
    value = phash_of(photo((320, 240)))
    assert -(2**63) <= value < 2**63
    assert hamming(-1, 0) == 64 and hamming(np.array([value, 0]), value).tolist() == [0, hamming(value, 0)]

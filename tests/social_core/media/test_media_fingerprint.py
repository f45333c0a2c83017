from __future__ import annotations

import io

import numpy as np
from PIL import Image

from social_core.media import process_image
from social_core.media.fingerprint import hamming, phash_of
from tests.social_core.media.factories import encode, photo
from training.simulation.images import render

NEAR = 6  # bits of 64: `ranking.selectors.near_duplicates` default


def recompressed(data: bytes, size: tuple[int, int], quality: int) -> bytes:
    """What a repost goes through: decoded, resized, saved again at another quality."""
    image = Image.open(io.BytesIO(data)).convert("RGB").resize(size, Image.Resampling.BILINEAR)
    return encode(image, "JPEG", quality=quality)


def test_a_resized_recompressed_copy_is_near_and_an_unrelated_picture_far() -> None:
    rng = np.random.default_rng(0)
    original, other = render(rng, 0.3), render(rng, 0.3)  # a fixed picture, and another of the same hue
    copies = [recompressed(original, (540, 675), 60), recompressed(original, (320, 400), 40)]
    hashes = [process_image(data, max_bytes=10**7).phash for data in (original, *copies, other)]
    assert hamming(hashes[0], np.array(hashes[1:3])).max() <= NEAR
    assert hamming(hashes[0], hashes[3]) > 2 * NEAR


def test_the_hash_is_a_signed_64_bit_int_and_hamming_counts_every_bit() -> None:
    value = phash_of(photo((320, 240)))
    assert -(2**63) <= value < 2**63
    assert hamming(-1, 0) == 64 and hamming(np.array([value, 0]), value).tolist() == [0, hamming(value, 0)]

"""`NearDuplicates`: a picture once per page of the feed (later copies deferred), once in explore (dropped)."""

from __future__ import annotations

import numpy as np
import pytest

from features.catalogue import NO_PHASH
from ranking.frame import Frame
from ranking.selectors.near_duplicates import NearDuplicates, NearDuplicatesConfig
from social_core.media.fingerprint import hamming
from tests.ranking.conftest import cand, context_for, frame_of

# Unrelated pictures: random hashes lie about 32 bits apart, none closer than 20 here.
A, B, C, D, E, F, G = np.random.default_rng(7).integers(-(2**63), 2**63 - 1, size=7, dtype=np.int64).tolist()


def pictured(hashes: list[int]) -> Frame:
    """Candidates 0, 1, 2, … in score order, by distinct authors, with these picture hashes."""
    frame = frame_of([cand(post, post + 100, score=-post) for post in range(len(hashes))])
    frame.phash = np.array(hashes, dtype=np.int64)
    return frame


def arranged(stage: NearDuplicates, hashes: list[int], limit: int = 30) -> list[int]:
    return np.asarray(stage(context_for(limit=limit), pictured(hashes))).tolist()


def near(phash: int, bits: int) -> int:
    """`phash` with its lowest `bits` bits flipped."""
    return phash ^ ((1 << bits) - 1)


def test_explore_keeps_the_best_ranked_copy_and_drops_the_others() -> None:
    assert arranged(NearDuplicates(), [A, B, near(A, 3), C, near(B, 6), A]) == [0, 1, 3]


def test_a_copy_is_one_within_max_distance_bits() -> None:
    stage = NearDuplicates(NearDuplicatesConfig(max_distance=8))
    assert arranged(stage, [A, near(A, 8), near(A, 9)]) == [0, 2]  # 9 bits from A, 1 from its copy: dropped as one
    assert arranged(stage, [A, near(A, 9)]) == [0, 1]
    assert arranged(NearDuplicates(), [A, near(A, 7)]) == [0, 1]  # the default: 6


def test_the_feed_defers_a_copy_until_spacing_positions_after_the_first() -> None:
    hashes = [A, near(A, 2), B, C, D, E, F]
    assert arranged(NearDuplicates(spacing=3), hashes) == [0, 2, 3, 1, 4, 5, 6]


def test_the_feed_drops_copies_nothing_else_is_left_to_space() -> None:
    assert arranged(NearDuplicates(spacing=3), [A, A, B, A]) == [0, 2]


def test_posts_without_a_picture_are_never_copies() -> None:
    assert arranged(NearDuplicates(), [NO_PHASH, NO_PHASH, A, NO_PHASH, B]) == [0, 1, 2, 3, 4]
    assert arranged(NearDuplicates(spacing=5), [NO_PHASH, A, NO_PHASH, A, NO_PHASH]) == [0, 1, 2, 4]


def test_the_shuffled_head_counts_as_one_position() -> None:
    """Exploration may reorder the first `shuffled_head` items: no two copies in it, and the spacing counts
    from its end."""
    hashes = [A, near(A, 1), B, C, D, E, F, G]
    assert arranged(NearDuplicates(spacing=2, shuffled_head=3), hashes) == [0, 2, 3, 4, 1, 5, 6, 7]


def test_only_the_requests_limit_is_arranged() -> None:
    assert arranged(NearDuplicates(spacing=2), [A, A, B, C, D], limit=3) == [0, 2, 1]
    assert arranged(NearDuplicates(spacing=2), [A, B, C, D], limit=2) == [0, 1]


@pytest.mark.parametrize("seed", range(4))
def test_no_page_holds_two_copies_and_explore_none_at_all(seed: int) -> None:
    """Across the blocks pictures are found in: a few pictures, each posted many times with a few bits changed."""
    rng = np.random.default_rng(seed)
    pictures = rng.integers(-(2**63), 2**63 - 1, size=40, dtype=np.int64)
    hashes = [int(pictures[i]) ^ int(rng.integers(0, 16)) for i in rng.integers(0, 40, size=700)]
    feed = arranged(NearDuplicates(spacing=10), hashes, limit=400)
    assert len(feed) == 400 and len(set(feed)) == len(feed)
    for start in range(len(feed)):
        page = [hashes[row] >> 8 for row in feed[start : start + 10]]  # the copies differ only in their low bits
        assert len(set(page)) == len(page)
    explore = [hashes[row] >> 8 for row in arranged(NearDuplicates(), hashes, limit=400)]
    assert len(set(explore)) == len(explore) == len(set(h >> 8 for h in hashes))


def test_the_test_pictures_are_unrelated() -> None:
    hashes = np.array([A, B, C, D, E, F, G])
    distances = hamming(hashes[:, None], hashes[None, :])
    assert distances[~np.eye(len(hashes), dtype=bool)].min() >= 20


def test_the_config_is_checked() -> None:
    with pytest.raises(ValueError):
        NearDuplicatesConfig(max_distance=40)
    with pytest.raises(ValueError):
        NearDuplicatesConfig(feed_spacing=0)

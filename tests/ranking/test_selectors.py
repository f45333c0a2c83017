"""Selectors on small fixed inputs: author runs, MMR topic spread, the explore grid mix, index embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from candidates.index import IndexConfig, PostIndex
from ranking.embeddings import IndexEmbeddings
from ranking.frame import Frame
from ranking.selectors.author_diversity import AuthorDiversity, AuthorDiversityConfig
from ranking.selectors.base import Selector
from ranking.selectors.explore_grid import ExploreGridConfig, ExploreGridMix
from ranking.selectors.mmr import MMR, MMRConfig, mmr_order
from tests.ranking.conftest import Row, cand, context_for, frame_of, ids


def by_authors(authors: str) -> list[Row]:
    """One candidate per letter, post ids 1.., scores descending: "aaab" -> a a a b."""
    return [cand(i + 1, ord(a), score=10.0 - i) for i, a in enumerate(authors)]


def select(selector: Selector, rows: list[Row]) -> Frame:
    frame = frame_of(rows)
    return frame.take(selector(context_for(), frame))


def authors_of(frame: Frame) -> str:
    return "".join(chr(a) for a in frame.author_id.tolist())


@pytest.mark.parametrize(
    ("authors", "expected_ids"),
    [
        ("abcabc", [1, 2, 3, 4, 5, 6]),  # already diverse: untouched
        ("aaab", [1, 2, 4, 3]),  # the third a waits for b
        ("aaaabb", [1, 2, 5, 3, 4, 6]),
        ("aaaa", [1, 2]),  # nothing to break the run with: the rest is dropped
        ("", []),
    ],
)
def test_no_more_than_two_consecutive_posts_by_one_author(authors: str, expected_ids: list[int]) -> None:
    out = select(AuthorDiversity(), by_authors(authors))
    assert ids(out) == expected_ids


def test_author_run_length_is_configurable() -> None:
    out = select(AuthorDiversity(AuthorDiversityConfig(max_run=1)), by_authors("aabb"))
    assert authors_of(out) == "abab"
    with pytest.raises(ValueError):
        AuthorDiversityConfig(max_run=0)


class FixedEmbeddings:
    def __init__(self, vectors: dict[int, list[float]]) -> None:
        self.vectors = vectors

    def __call__(self, post_ids: Sequence[int]) -> np.ndarray:
        return np.array([self.vectors.get(p, [0.0, 0.0]) for p in post_ids], dtype=np.float32)


def test_mmr_spreads_topics() -> None:
    # Posts 1-3 are one topic (cats), 4 another (cars), 5 has no embedding; scores descend by id.
    embeddings = FixedEmbeddings({1: [1, 0], 2: [1, 0.05], 3: [1, -0.05], 4: [0, 1]})
    candidates = [cand(p, p, score=s) for p, s in [(1, 1.0), (2, 0.95), (3, 0.9), (4, 0.5), (5, 0.0)]]
    assert ids(select(MMR(embeddings, MMRConfig(relevance_weight=1.0)), candidates)) == [1, 2, 3, 4, 5]
    spread = ids(select(MMR(embeddings, MMRConfig(relevance_weight=0.5)), candidates))
    assert spread[:2] == [1, 4] and spread.index(5) < spread.index(3)


def test_mmr_only_reorders_its_window() -> None:
    embeddings = FixedEmbeddings({1: [1, 0], 2: [1, 0], 3: [0, 1], 4: [0, 1]})
    candidates = [cand(p, p, score=5.0 - p) for p in (1, 2, 3, 4)]
    out = select(MMR(embeddings, MMRConfig(relevance_weight=0.3, window=3)), candidates)
    assert ids(out) == [1, 3, 2, 4]


def test_mmr_order_with_equal_scores_alternates() -> None:
    vectors = np.array([[1, 0], [1, 0], [0, 1], [0, 1]], dtype=np.float64)
    assert mmr_order(np.ones(4), vectors, 0.5) == [0, 2, 1, 3]


def test_explore_grid_gives_each_source_its_share_spread_evenly() -> None:
    two_tower = [cand(i, i, score=100 - i, sources={"two_tower": 1.0}) for i in range(1, 7)]
    popular = [cand(i, i, score=50 - i, sources={"popular": 1.0, "fresh": 1.0}) for i in range(11, 14)]
    other = [cand(21, 21, score=99, sources={"fresh": 1.0})]
    mixed = select(ExploreGridMix(ExploreGridConfig({"two_tower": 2, "popular": 1})), [*two_tower, *popular, *other])
    assert ids(mixed) == [1, 11, 2, 3, 12, 4, 5, 13, 6, 21]  # 2:1, best first within each; the rest last


def test_explore_grid_candidate_counts_for_its_first_listed_source() -> None:
    both = cand(1, 1, sources={"popular": 1.0, "two_tower": 1.0})
    tt = cand(2, 2, sources={"two_tower": 1.0})
    out = select(ExploreGridMix(ExploreGridConfig({"two_tower": 1, "popular": 1})), [both, tt])
    assert ids(out) == [1, 2]  # `both` counts as two_tower; popular has nothing, two_tower fills
    with pytest.raises(ValueError):
        ExploreGridConfig({"two_tower": 0})


def test_index_embeddings_read_back_vectors_and_zero_the_unknown() -> None:
    vectors = np.random.default_rng(3).normal(size=(10, 4)).astype(np.float32)
    index = PostIndex.build(np.arange(50, 60), vectors, IndexConfig())
    index.remove(np.array([52]))
    got = IndexEmbeddings(index)([50, 59, 52, 12345])
    np.testing.assert_allclose(got[:2], vectors[[0, 9]])
    assert not got[2:].any()


@pytest.mark.parametrize("kind", ["flat", "hnsw"])
def test_index_embeddings_read_a_known_batch_at_once_and_zero_the_deleted(kind: str) -> None:
    vectors = np.random.default_rng(4).normal(size=(10, 4)).astype(np.float32)
    config = IndexConfig(exact_below=0 if kind == "hnsw" else 50_000)
    index = PostIndex.build(np.arange(50, 60), vectors, config)
    index.remove(np.array([55]))  # HNSW keeps the vector and tombstones the id; flat drops it
    got = IndexEmbeddings(index)([59, 55, 50, 53])
    np.testing.assert_allclose(got[[0, 2, 3]], vectors[[9, 0, 3]])
    assert not got[1].any()

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from candidates.index import IndexConfig, PostIndex


def clustered(n: int, d: int = 16, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(20, d))
    vectors = centres[rng.integers(0, 20, n)] + 0.3 * rng.normal(size=(n, d))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def test_exact_below_the_threshold_and_approximate_above() -> None:
    vectors = clustered(500)
    ids = np.arange(500, dtype=np.int64) * 7 + 3
    assert PostIndex.build(ids, vectors, IndexConfig(exact_below=1000)).kind == "flat"
    assert PostIndex.build(ids, vectors, IndexConfig(exact_below=100, kind="ivf", ivf_lists=8)).kind == "ivf"


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_search_agrees_with_exact_search(kind: str) -> None:
    vectors, queries = clustered(2000), clustered(20, seed=1)
    ids = np.arange(2000, dtype=np.int64) + 10**12
    exact = PostIndex.build(ids, vectors, IndexConfig(exact_below=10**6))
    approx = PostIndex.build(ids, vectors, IndexConfig(exact_below=0, kind=kind, ivf_lists=16, nprobe=8, ef_search=64))
    (truth, truth_scores), (found, _) = exact.search(queries, 10), approx.search(queries, 10)
    recall = np.mean([len(set(t) & set(f)) / 10 for t, f in zip(truth, found, strict=True)])
    assert recall >= 0.9
    assert truth[0][0] in ids and np.all(np.diff(truth_scores, axis=1) <= 1e-6)


@pytest.mark.parametrize("exact_below", [10**6, 0])
def test_posts_are_added_and_removed(exact_below: int, tmp_path: Path) -> None:
    vectors = clustered(300)
    index = PostIndex.build(np.arange(300), vectors, IndexConfig(exact_below=exact_below))
    new = clustered(1, seed=5)
    index.add(np.array([5000]), new)
    assert index.search(new, 1)[0][0, 0] == 5000
    index.remove(np.array([5000, 0]))
    found, scores = index.search(new, 300)
    assert 5000 not in found and 0 not in found and len(index) == 299
    assert found[0, -1] == -1 and scores[0, -1] == -np.inf  # only 299 left to return
    index.save(tmp_path / "index")
    loaded = PostIndex.load(tmp_path / "index")
    assert (loaded.search(new, 10)[0] == index.search(new, 10)[0]).all() and len(loaded) == 299


def test_a_single_query_vector_is_accepted() -> None:
    index = PostIndex.build(np.arange(50), clustered(50))
    ids, scores = index.search(clustered(1)[0], 5)
    assert ids.shape == (1, 5) and scores.shape == (1, 5)

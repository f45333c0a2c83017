"""The recommender contract and the shared top-K step (batched, train items excluded)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import numpy as np
import scipy.sparse as sp

from training.evaluation.split import Split

DEFAULT_BATCH_SIZE = 1024


class Recommender(Protocol):
    """Fit on a split's train part; recommend item indices the user has not seen in train."""

    def fit(self, split: Split) -> None: ...

    def recommend(self, users: np.ndarray, k: int) -> np.ndarray:
        """(len(users), k) item indices, best first, padded with -1 when fewer are left."""
        ...


def top_k_unseen(scores: np.ndarray, seen: sp.csr_matrix, k: int) -> np.ndarray:
    """Top-k columns of each score row, skipping the row's ``seen`` items; ties go to lower index."""
    n_rows, n_items = scores.shape
    k = min(k, n_items)
    if k <= 0:
        return np.empty((n_rows, 0), dtype=np.int64)
    masked = np.array(scores, dtype=np.float64)
    masked[np.repeat(np.arange(n_rows), np.diff(seen.indptr)), seen.indices] = -np.inf
    candidates = np.argpartition(-masked, k - 1, axis=1)[:, :k]
    candidate_scores = np.take_along_axis(masked, candidates, axis=1)
    order = np.lexsort((candidates, -candidate_scores), axis=1)
    top = np.take_along_axis(candidates, order, axis=1).astype(np.int64)
    top[np.take_along_axis(candidate_scores, order, axis=1) == -np.inf] = -1
    return top


def rank_in_batches(
    score: Callable[[np.ndarray], np.ndarray],
    users: np.ndarray,
    seen: sp.csr_matrix,
    k: int,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> np.ndarray:
    """Apply ``score`` (users → dense score rows) batch by batch so memory stays bounded."""
    users = np.asarray(users, dtype=np.int64)
    n_columns = min(k, seen.shape[1])
    out = np.empty((len(users), max(n_columns, 0)), dtype=np.int64)
    for start in range(0, len(users), batch_size):
        batch = users[start : start + batch_size]
        out[start : start + len(batch)] = top_k_unseen(score(batch), seen[batch], k)
    return out

"""Ranking metrics over a top-K matrix of item indices, one row per user.

``hits[u, j]`` says whether the j-th recommendation of user u is one of u's test items;
``n_relevant[u]`` is the size of u's test set. Padding (-1) in a top-K row is never a hit.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

NDCG_K = 10
RECALL_K = 20


def hit_matrix(top_items: np.ndarray, users: np.ndarray, relevant: sp.csr_matrix) -> np.ndarray:
    """Boolean matrix: is ``top_items[r, j]`` in the relevant (test) row of ``users[r]``."""
    rows = relevant[users]
    n_items = relevant.shape[1]
    row_of_entry = np.repeat(np.arange(len(users)), np.diff(rows.indptr))
    relevant_codes = row_of_entry.astype(np.int64) * n_items + rows.indices
    valid = top_items >= 0
    codes = np.arange(len(users), dtype=np.int64)[:, None] * n_items + np.where(valid, top_items, 0)
    return np.isin(codes, relevant_codes) & valid


def ndcg_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int = NDCG_K) -> np.ndarray:
    """Per-user NDCG@k with binary gains; the ideal DCG ranks min(n_relevant, k) hits first."""
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (hits[:, :k] * discounts[: hits[:, :k].shape[1]]).sum(axis=1)
    ideal = np.concatenate([[0.0], np.cumsum(discounts)])[np.minimum(n_relevant, k)]
    ndcg = np.zeros(len(hits), dtype=np.float64)
    np.divide(dcg, ideal, out=ndcg, where=ideal > 0)
    return ndcg


def recall_at_k(hits: np.ndarray, n_relevant: np.ndarray, k: int = RECALL_K) -> np.ndarray:
    """Per-user Recall@k: hits in the top k over min(n_relevant, k)."""
    denominator = np.minimum(n_relevant, k).astype(np.float64)
    found = hits[:, :k].sum(axis=1).astype(np.float64)
    recall = np.zeros(len(hits), dtype=np.float64)
    np.divide(found, denominator, out=recall, where=denominator > 0)
    return recall


def user_metrics(hits: np.ndarray, n_relevant: np.ndarray) -> dict[str, np.ndarray]:
    """NDCG@10 and Recall@20 of each user (a row of `hits`)."""
    return {f"ndcg@{NDCG_K}": ndcg_at_k(hits, n_relevant), f"recall@{RECALL_K}": recall_at_k(hits, n_relevant)}


def mean_metrics(hits: np.ndarray, n_relevant: np.ndarray) -> dict[str, float]:
    """NDCG@10 and Recall@20 averaged over the users that have at least one relevant item."""
    evaluated = n_relevant > 0
    if not evaluated.any():
        return {f"ndcg@{NDCG_K}": 0.0, f"recall@{RECALL_K}": 0.0}
    return {name: float(values.mean()) for name, values in user_metrics(hits[evaluated], n_relevant[evaluated]).items()}

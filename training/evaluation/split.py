"""The offline split: per-user temporal holdout of the last 20% of positives.

The protocol, exactly:
  1. positives: every interaction, or only rating >= 4 where a ``rating`` column exists;
  2. a repeated (user, item) keeps its earliest row;
  3. users with >= 5 positives are kept;
  4. per user, sorted by (timestamp, item_id), the last max(1, floor(0.2 n)) rows are test;
  5. test items absent from train are dropped.
Ranking is then over all train items, excluding each user's own train items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

MIN_RATING = 4.0
MIN_POSITIVES = 5
TEST_FRACTION = 0.2


@dataclass(frozen=True)
class Split:
    """Train/test frames with dense ``user_idx``/``item_idx`` columns and their id mappings.

    ``user_ids[u]`` and ``item_ids[i]`` give back the original ids; ``item_idx`` covers
    exactly the items seen in train, which is the catalogue every model ranks.
    """

    train: pd.DataFrame
    test: pd.DataFrame
    n_users: int
    n_items: int
    user_ids: np.ndarray
    item_ids: np.ndarray

    def train_matrix(self) -> sp.csr_matrix:
        """Binary users × items CSR matrix of train positives."""
        return _binary_csr(self.train, self.n_users, self.n_items)

    def test_matrix(self) -> sp.csr_matrix:
        """Binary users × items CSR matrix of test positives."""
        return _binary_csr(self.test, self.n_users, self.n_items)

    def test_users(self) -> np.ndarray:
        """Sorted indices of the users with at least one test item: the users we average over."""
        return np.unique(self.test["user_idx"].to_numpy())


def positives(interactions: pd.DataFrame, min_rating: float = MIN_RATING) -> pd.DataFrame:
    """Steps 1-2: keep positive rows and the earliest row of each (user, item)."""
    frame = interactions
    if "rating" in frame.columns:
        frame = frame[frame["rating"] >= min_rating]
    frame = frame.sort_values("timestamp", kind="stable")
    return frame.drop_duplicates(["user_id", "item_id"], keep="first")


def temporal_split(
    interactions: pd.DataFrame,
    min_positives: int = MIN_POSITIVES,
    test_fraction: float = TEST_FRACTION,
    min_rating: float = MIN_RATING,
) -> Split:
    """Apply the whole protocol to a canonical interactions frame (see `data.to_canonical`)."""
    frame = positives(interactions, min_rating)
    counts = frame.groupby("user_id")["item_id"].transform("size")
    frame = frame[counts >= min_positives]
    frame = frame.sort_values(["user_id", "timestamp", "item_id"], kind="stable")
    n = frame.groupby("user_id")["item_id"].transform("size").to_numpy()
    position = frame.groupby("user_id").cumcount().to_numpy()
    n_test = np.maximum(1, np.floor(n * test_fraction).astype(np.int64))
    is_test = position >= n - n_test
    train, test = frame[~is_test], frame[is_test]
    test = test[test["item_id"].isin(train["item_id"])]
    return _index(train, test)


def _index(train: pd.DataFrame, test: pd.DataFrame) -> Split:
    user_ids = np.sort(train["user_id"].unique())
    item_ids = np.sort(train["item_id"].unique())
    train, test = train.copy(), test.copy()
    for frame in (train, test):
        frame["user_idx"] = np.searchsorted(user_ids, frame["user_id"].to_numpy())
        frame["item_idx"] = np.searchsorted(item_ids, frame["item_id"].to_numpy())
    return Split(
        train=train.reset_index(drop=True),
        test=test.reset_index(drop=True),
        n_users=len(user_ids),
        n_items=len(item_ids),
        user_ids=user_ids,
        item_ids=item_ids,
    )


def _binary_csr(frame: pd.DataFrame, n_users: int, n_items: int) -> sp.csr_matrix:
    data = np.ones(len(frame), dtype=np.float32)
    rows, cols = frame["user_idx"].to_numpy(), frame["item_idx"].to_numpy()
    return sp.csr_matrix((data, (rows, cols)), shape=(n_users, n_items))

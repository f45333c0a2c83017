"""Retrieval for the full pipeline: every candidate source as dense score rows over the catalogue.

Six sources, each a signal a feed platform has without impressions: ALS and EASE (collaborative
taste), item-kNN co-engagement over the user's whole history, their last few items, and their last
session ("people who engaged with what you just engaged with"), and popularity. Scores are rows over
every item for a batch of users; the candidate step masks seen items and keeps each source's top.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from training.evaluation.models.als import ALS, ALSConfig
from training.evaluation.models.pipeline_cut import seconds
from training.evaluation.models.pipeline_ease import EASE, EASEConfig
from training.evaluation.split import Split

SOURCES = ("als", "ease", "knn", "recent_knn", "session_knn", "popularity")


@dataclass(frozen=True)
class RetrievalConfig:
    als: ALSConfig = field(default_factory=ALSConfig)
    ease: EASEConfig = field(default_factory=EASEConfig)
    recent_items: int = 10  # the user's last N positives for the recent co-engagement source
    session_gap_s: int = 3_600  # a user's positives closer than this in time share a session


class ScoredALS(ALS):
    """`ALS` that also hands out its raw scores (the ranker reads them as a feature)."""

    def scores(self, users: np.ndarray) -> np.ndarray:
        return self._score(users)


def last_items_matrix(history: pd.DataFrame, n_users: int, n_items: int, last: int) -> sp.csr_matrix:
    """Binary users × items matrix of each user's ``last`` most recent positives."""
    ordered = history.sort_values(["user_idx", "timestamp", "item_idx"], kind="stable")
    from_end = ordered.groupby("user_idx").cumcount(ascending=False).to_numpy()
    recent = ordered[from_end < last]
    data = np.ones(len(recent), dtype=np.float32)
    return sp.csr_matrix((data, (recent["user_idx"], recent["item_idx"])), shape=(n_users, n_items))


def session_matrices(
    history: pd.DataFrame, n_users: int, n_items: int, gap_s: int
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Sessions × items (positives of one user less than ``gap_s`` apart) and users × items of their last one."""
    ordered = history.sort_values(["user_idx", "timestamp", "item_idx"], kind="stable")
    users = ordered["user_idx"].to_numpy()
    stamps = seconds(ordered["timestamp"])
    starts = np.r_[True, (users[1:] != users[:-1]) | (np.diff(stamps) > gap_s)] if len(users) else np.zeros(0, bool)
    session = np.cumsum(starts) - 1
    items = ordered["item_idx"].to_numpy()
    ones = np.ones(len(items), dtype=np.float32)
    matrix = sp.csr_matrix((ones, (session, items)), shape=(int(session.max(initial=-1)) + 1, n_items))
    last_of_user = np.zeros(n_users, dtype=np.int64)
    np.maximum.at(last_of_user, users, session)
    in_last = session == last_of_user[users]
    last = sp.csr_matrix((ones[in_last], (users[in_last], items[in_last])), shape=(n_users, n_items))
    return matrix, last


def _cosine_normalised(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Columns divided by their Euclidean norm (binary matrices: the root of the count), empty ones left at 0."""
    counts = np.asarray(matrix.multiply(matrix).sum(axis=0)).ravel()
    inverse_root = np.divide(1.0, np.sqrt(counts), out=np.zeros(len(counts)), where=counts > 0)
    return sp.csr_matrix(matrix @ sp.diags(inverse_root.astype(np.float32)))


class Retrieval:
    """Fit every source on a split's train part (the history); `scores` gives their rows for some users."""

    def __init__(self, config: RetrievalConfig | None = None) -> None:
        self.config = config or RetrievalConfig()
        self.seen = sp.csr_matrix((0, 0))
        self._als = ScoredALS(self.config.als)
        self._ease = EASE(self.config.ease)
        self._normalised = sp.csr_matrix((0, 0))
        self._recent = sp.csr_matrix((0, 0))
        self._popularity = np.empty(0)
        self._sessions = sp.csr_matrix((0, 0))
        self._last_session = sp.csr_matrix((0, 0))

    def fit(self, split: Split) -> None:
        self.seen = split.train_matrix()
        self._als.fit(split)
        self._ease.fit(self.seen)
        self._popularity = np.asarray(self.seen.sum(axis=0), dtype=np.float64).ravel()
        self._normalised = _cosine_normalised(self.seen)
        self._recent = last_items_matrix(split.train, split.n_users, split.n_items, self.config.recent_items)
        sessions, last = session_matrices(split.train, split.n_users, split.n_items, self.config.session_gap_s)
        self._sessions, self._last_session = _cosine_normalised(sessions), last

    def scores(self, users: np.ndarray) -> dict[str, np.ndarray]:
        """Source name → (len(users), n_items) scores; higher is better, seen items not yet masked."""
        return {
            "als": self._als.scores(users).astype(np.float64),
            "ease": self._ease.scores(self.seen[users]),
            "knn": self._cosine_sum(self.seen[users]),
            "recent_knn": self._cosine_sum(self._recent[users]),
            "session_knn": self._cosine_sum(self._last_session[users], self._sessions),
            "popularity": np.broadcast_to(self._popularity, (len(users), len(self._popularity))),
        }

    def _cosine_sum(self, profile: sp.csr_matrix, rows: sp.csr_matrix | None = None) -> np.ndarray:
        """Σ over the profile's items j of cosine(i, j), for every item i (item-kNN, full neighbourhood).

        The cosine is between item columns of ``rows`` (users by default, sessions for the session source),
        whose columns are already divided by their norms.
        """
        rows = self._normalised if rows is None else rows
        overlap = profile @ rows.T  # (users, rows): Σ_j∈profile R[v, j] / ‖R[:, j]‖
        return np.asarray((overlap @ rows).todense(), dtype=np.float64)

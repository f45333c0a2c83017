"""Most-popular baseline: every user gets the items with the most train positives."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from training.evaluation.models.base import DEFAULT_BATCH_SIZE, rank_in_batches
from training.evaluation.split import Split


class Popularity:
    """Ranks by train positive count; ties go to the lower item index, so results are stable."""

    def __init__(self, batch_size: int = DEFAULT_BATCH_SIZE) -> None:
        self.batch_size = batch_size
        self._scores = np.empty(0)
        self._seen = sp.csr_matrix((0, 0))

    def fit(self, split: Split) -> None:
        self._seen = split.train_matrix()
        counts = np.asarray(self._seen.sum(axis=0)).ravel()
        # Strictly decreasing scores in (count desc, index asc) order make every tie explicit.
        order = np.argsort(-counts, kind="stable")
        self._scores = np.empty(len(counts), dtype=np.float64)
        self._scores[order] = np.arange(len(counts), 0, -1)

    def recommend(self, users: np.ndarray, k: int) -> np.ndarray:
        return rank_in_batches(self._score, users, self._seen, k, self.batch_size)

    def _score(self, users: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self._scores, (len(users), len(self._scores)))

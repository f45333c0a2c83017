"""Implicit-feedback matrix factorisation (ALS, Hu et al. 2008) via the `implicit` library."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from implicit.cpu.als import AlternatingLeastSquares
from threadpoolctl import threadpool_limits

from training.evaluation.models.base import DEFAULT_BATCH_SIZE, rank_in_batches
from training.evaluation.split import Split


@dataclass(frozen=True)
class ALSConfig:
    factors: int = 64
    # implicit's L2 is not scaled by counts: on ml-latest-small 1-10 beat 0.05, while 10 already
    # collapses the factors on a few dozen users; 5 holds up on both.
    regularization: float = 5.0
    alpha: float = 1.0
    iterations: int = 15
    random_state: int = 42
    num_threads: int = 1
    batch_size: int = DEFAULT_BATCH_SIZE


class ALS:
    """ALS on binary train positives (confidence 1 + alpha); scores are user · item factors."""

    def __init__(self, config: ALSConfig | None = None) -> None:
        self.config = config or ALSConfig()
        self._seen = sp.csr_matrix((0, 0))
        self._user_factors = np.empty((0, self.config.factors), dtype=np.float32)
        self._item_factors = np.empty((0, self.config.factors), dtype=np.float32)

    def fit(self, split: Split) -> None:
        config = self.config
        self._seen = split.train_matrix()
        # implicit runs its own threads; a multi-threaded BLAS underneath only oversubscribes.
        with threadpool_limits(limits=1, user_api="blas"):
            model = AlternatingLeastSquares(
                factors=config.factors,
                regularization=config.regularization,
                alpha=config.alpha,
                iterations=config.iterations,
                random_state=config.random_state,
                num_threads=config.num_threads,
            )
            model.fit(self._seen, show_progress=False)
        self._user_factors = np.asarray(model.user_factors)
        self._item_factors = np.asarray(model.item_factors)

    def recommend(self, users: np.ndarray, k: int) -> np.ndarray:
        return rank_in_batches(self._score, users, self._seen, k, self.config.batch_size)

    def _score(self, users: np.ndarray) -> np.ndarray:
        scores: np.ndarray = self._user_factors[users] @ self._item_factors.T
        return scores

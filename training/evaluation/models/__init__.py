"""Recommenders compared by the offline evaluation, by name.

Later models (``two_tower``, ``lightgbm``, ``torch``) register here with a zero-argument factory.
"""

from __future__ import annotations

from collections.abc import Callable

from training.evaluation.models.als import ALS, ALSConfig
from training.evaluation.models.base import Recommender, rank_in_batches, top_k_unseen
from training.evaluation.models.popularity import Popularity

RECOMMENDERS: dict[str, Callable[[], Recommender]] = {
    "popularity": Popularity,
    "als": ALS,
}

__all__ = [
    "ALS",
    "RECOMMENDERS",
    "ALSConfig",
    "Popularity",
    "Recommender",
    "rank_in_batches",
    "top_k_unseen",
]

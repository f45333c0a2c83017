"""Recommenders compared by the offline evaluation, by name.

Later models (``two_tower``, ``lightgbm``, ``torch``) register here with a zero-argument factory.
"""

from __future__ import annotations

from collections.abc import Callable

from training.evaluation.models.als import ALS, ALSConfig
from training.evaluation.models.base import Recommender, rank_in_batches, top_k_unseen
from training.evaluation.models.popularity import Popularity
from training.evaluation.models.two_tower import TwoTowerRecommender, TwoTowerRecommenderConfig

RECOMMENDERS: dict[str, Callable[[], Recommender]] = {
    "popularity": Popularity,
    "als": ALS,
    "two_tower": TwoTowerRecommender,
}

__all__ = [
    "ALS",
    "RECOMMENDERS",
    "ALSConfig",
    "Popularity",
    "Recommender",
    "TwoTowerRecommender",
    "TwoTowerRecommenderConfig",
    "rank_in_batches",
    "top_k_unseen",
]

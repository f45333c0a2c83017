"""Recommenders compared by the offline evaluation, by name.

Each registers here with a zero-argument factory; ``lightgbm`` and ``torch`` are the full pipeline
(retrieval + that family's ranker, see `pipeline`).
"""

from __future__ import annotations

from collections.abc import Callable

from training.evaluation.models.als import ALS, ALSConfig
from training.evaluation.models.base import Recommender, rank_in_batches, top_k_unseen
from training.evaluation.models.pipeline import PipelineConfig, PipelineRecommender, lightgbm_pipeline, torch_pipeline
from training.evaluation.models.popularity import Popularity
from training.evaluation.models.two_tower import TwoTowerRecommender, TwoTowerRecommenderConfig

RECOMMENDERS: dict[str, Callable[[], Recommender]] = {
    "popularity": Popularity,
    "als": ALS,
    "two_tower": TwoTowerRecommender,
    "lightgbm": lightgbm_pipeline,
    "torch": torch_pipeline,
}

__all__ = [
    "ALS",
    "RECOMMENDERS",
    "ALSConfig",
    "PipelineConfig",
    "PipelineRecommender",
    "Popularity",
    "Recommender",
    "TwoTowerRecommender",
    "TwoTowerRecommenderConfig",
    "rank_in_batches",
    "top_k_unseen",
]

"""`RankerModel`: what every ranker family (LightGBM, torch) offers the pipeline's scorers.

A model reads the `ranker_v1` feature matrix (columns in `features.schema.service_columns("ranker_v1")`
order, as `features.hydrate.Hydrator` returns it) and predicts one probability per objective head.
Training lives in `training/`; loading a saved model and scoring with it lives here, so serving needs
no training code.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

HEADS: tuple[str, ...] = ("like", "comment", "save", "share", "hide")


class RankerModel(Protocol):
    heads: tuple[str, ...]  # a subset of HEADS, in that order
    feature_names: tuple[str, ...]  # the columns the model was trained on, in order
    version: str  # e.g. "pixelrank-ranker/3" or a local folder name

    def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
        """(N, F) float matrix → {head: (N,) probabilities in [0, 1]}."""
        ...

    def contributions(self, features: np.ndarray, head: str) -> np.ndarray | None:
        """(N, F) per-feature contributions to ``head``'s raw score (LightGBM: by decision path,
        `ranking.models.paths`), or None where the family has none; explanations use it."""
        ...

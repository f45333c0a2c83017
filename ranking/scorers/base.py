"""What every scorer offers the pipeline: head probabilities for a feature matrix, and (some) contributions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class FeatureFrame:
    """The hydrated feature matrix and its column names (hydrator order)."""

    matrix: np.ndarray  # (N, F) float64
    columns: tuple[str, ...]


class Scorer(Protocol):
    kind: str  # the registry type that built it: "lightgbm", "torch", "heuristic"
    version: str  # the model's version, reported in `served_by`
    feature_names: tuple[str, ...]  # the columns `contributions` refers to, in order

    def __call__(self, frame: FeatureFrame) -> dict[str, np.ndarray]:
        """{head: (N,) probabilities in [0, 1]}."""
        ...

    def contributions(self, frame: FeatureFrame, head: str) -> np.ndarray | None:
        """(N, len(feature_names)) contributions to ``head``, or None where the scorer has none."""
        ...

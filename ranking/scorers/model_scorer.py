"""`ModelScorer`: any `RankerModel` as a pipeline scorer.

It picks the model's columns out of the hydrated matrix by name (so a model trained on a subset or
another order of `ranker_v1` still reads the right values), and checks what comes back: one finite
probability per candidate and head. A model that breaks that contract raises here, and the pipeline
falls back to the heuristic instead of serving garbage.
"""

from __future__ import annotations

import numpy as np

from ranking.model import HEADS, RankerModel
from ranking.scorers.base import FeatureFrame


class ModelScorer:
    def __init__(self, model: RankerModel, kind: str, explain: bool = True) -> None:
        self.model, self.kind, self.explain = model, kind, explain
        self.version = str(model.version)
        self.feature_names = tuple(model.feature_names)
        unknown = [h for h in model.heads if h not in HEADS]
        if unknown:
            raise ValueError(f"model {self.version} predicts unknown head(s) {unknown}; known: {list(HEADS)}")
        self._positions: dict[tuple[str, ...], list[int]] = {}

    def __call__(self, frame: FeatureFrame) -> dict[str, np.ndarray]:
        n = len(frame.matrix)
        if n == 0:
            return {head: np.zeros(0) for head in self.model.heads}
        predictions = self.model.predict(self.select(frame))
        out: dict[str, np.ndarray] = {}
        for head in self.model.heads:
            p = np.asarray(predictions.get(head), dtype=np.float64)
            if p.shape != (n,) or not np.all(np.isfinite(p)) or p.min() < 0.0 or p.max() > 1.0:
                raise ValueError(f"model {self.version} head {head!r}: expected {n} probabilities in [0, 1]")
            out[head] = p
        return out

    def contributions(self, frame: FeatureFrame, head: str) -> np.ndarray | None:
        if not self.explain or head not in self.model.heads or len(frame.matrix) == 0:
            return None
        values = self.model.contributions(self.select(frame), head)
        if values is None:
            return None
        values = np.asarray(values, dtype=np.float64)
        if values.shape != (len(frame.matrix), len(self.feature_names)):
            raise ValueError(f"model {self.version}: contributions of shape {values.shape}, expected one per feature")
        return values

    def select(self, frame: FeatureFrame) -> np.ndarray:
        """The model's columns of the frame, in the model's order."""
        positions = self._positions.get(frame.columns)
        if positions is None:
            where = {name: j for j, name in enumerate(frame.columns)}
            missing = [name for name in self.feature_names if name not in where]
            if missing:
                raise ValueError(f"model {self.version} needs features not hydrated: {', '.join(missing)}")
            positions = self._positions[frame.columns] = [where[name] for name in self.feature_names]
        return np.ascontiguousarray(frame.matrix[:, positions])

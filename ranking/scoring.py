"""The scoring stage: the scorer's head probabilities, then the value model's score for every candidate.

The scorer is resolved per request (`resolve_scorer`), so a newly promoted model serves without a
restart. A model that fails at predict time is replaced by the heuristic for that request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ranking.degraded import Degraded
from ranking.frame import Frame
from ranking.model import RankerModel
from ranking.scorers.base import FeatureFrame
from ranking.scorers.registry import ScorerConfig, build_scorer, resolve_scorer
from ranking.types import RankingContext
from ranking.value_model import ValueWeights, summed, top_head_index, value_terms

log = logging.getLogger("pixelrank.ranking")


def no_model() -> RankerModel | None:
    return None


@dataclass(frozen=True)
class Scoring:
    """The scorer config, the model getter (called once per request: hand it a cached champion), the weights."""

    config: ScorerConfig = field(default_factory=ScorerConfig)
    load_model: Callable[[], RankerModel | None] = no_model
    weights: ValueWeights = field(default_factory=ValueWeights)


class ScoreStage:
    """Fills the score and top head of every row, and returns the frame best first (stable: ties keep
    the merge's order); the scorer that did it is left in `context.scorer`."""

    name = "value_model"

    def __init__(self, scoring: Scoring) -> None:
        self.scoring = scoring

    def __call__(self, context: RankingContext, frame: Frame) -> Frame:
        scorer, fallback = resolve_scorer(self.scoring.config, self.scoring.load_model)
        if fallback:
            context.degrade(fallback)
        features = feature_frame(frame)
        try:
            predictions = scorer(features)
        except Exception:
            if scorer.kind == "heuristic":
                raise
            log.exception("ranker %s failed; scoring with the heuristic", scorer.version)
            context.degrade(Degraded.MODEL_FAILED)
            scorer = build_scorer(ScorerConfig("heuristic", self.scoring.config.heuristic))
            predictions = scorer(features)
        terms = value_terms(predictions, context.weights)
        frame.score = summed(terms, len(frame))
        frame.heads, frame.head = top_head_index(terms, len(frame))
        context.scorer = scorer
        return frame.take(np.argsort(-frame.score, kind="stable"))


def feature_frame(frame: Frame) -> FeatureFrame:
    if frame.features.shape != (len(frame), len(frame.feature_columns)):
        raise ValueError("every candidate needs features before scoring")
    return FeatureFrame(frame.features, frame.feature_columns)

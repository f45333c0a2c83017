"""The scoring stage: the scorer's head probabilities, then the value model's score for every candidate.

The scorer is resolved per request (`resolve_scorer`), so a newly promoted model serves without a
restart. A model that fails at predict time is replaced by the heuristic for that request.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from ranking.model import RankerModel
from ranking.scorers.base import FeatureFrame, Scorer
from ranking.scorers.registry import ScorerConfig, build_scorer, resolve_scorer
from ranking.types import RankingContext, ScoredCandidate
from ranking.value_model import ValueWeights, summed, top_heads, value_terms

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
    name = "value_model"

    def __init__(self, scoring: Scoring) -> None:
        self.scoring = scoring

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate], weights: ValueWeights) -> Scorer:
        """Fill the score and the top head on every candidate; return the scorer that did it."""
        scorer, fallback = resolve_scorer(self.scoring.config, self.scoring.load_model)
        if fallback:
            context.degrade(fallback)
        frame = frame_of(context, candidates)
        try:
            predictions = scorer(frame)
        except Exception:
            if scorer.kind == "heuristic":
                raise
            log.exception("ranker %s failed; scoring with the heuristic", scorer.version)
            context.degrade("model failed: heuristic scorer")
            scorer = build_scorer(ScorerConfig("heuristic", self.scoring.config.heuristic))
            predictions = scorer(frame)
        terms = value_terms(predictions, weights)
        scores = summed(terms, len(candidates))
        # Whole-array, then plain floats and strings row by row: a dict of predictions and one of terms per
        # candidate cost more than the model.
        for candidate, score, head in zip(candidates, scores.tolist(), top_heads(terms, len(candidates)), strict=True):
            candidate.score, candidate.head = score, head
        return scorer


def frame_of(context: RankingContext, candidates: Sequence[ScoredCandidate]) -> FeatureFrame:
    columns = context.feature_columns
    rows = [c.features for c in candidates]
    if any(r is None for r in rows):
        raise ValueError("every candidate needs features before scoring")
    matrix = np.stack(rows) if rows else np.zeros((0, len(columns)))  # type: ignore[arg-type]
    return FeatureFrame(matrix, columns)

"""How a user's feed knobs (`friends`, `popular`, `fresh`) move one candidate's value-model score.

Each knob scales the candidates a matching source proposed (`KNOB_SOURCES`). A candidate proposed by
several sources takes the largest of their multipliers (sources without a knob count as 1): turning
`popular` down damps what is there *only* because it is popular, not a friend's post that also
happens to be popular. The value-model score can be negative (the hide head costs), so a boost
multiplies a positive score and divides a negative one: a boost always moves a candidate up.

The per-head `weights` need nothing here: they are the pipeline's `RankingRequest.weight_overrides`.
`PreferenceBoost` is the stage: a selector placed before the diversity selectors, which moves each
row's score by the request's knobs and re-sorts (stable: ties keep the scorer's order). A request
without preferences, or with every knob at its default, passes through unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from ranking.frame import Frame
from ranking.types import RankingContext
from social_core.preferences import KNOB_DEFAULT, RankingPreferences

KNOB_SOURCES: Mapping[str, str] = {"following": "friends", "popular": "popular", "fresh": "fresh"}
MIN_DIVISOR = 0.01  # a knob at 0 sinks a negative score 100x instead of dividing by zero


def preference_multiplier(sources: Iterable[str], prefs: RankingPreferences) -> float:
    """The largest multiplier among the candidate's sources (1 for a source no knob names)."""
    knobs = prefs.knobs()
    multipliers = [knobs[KNOB_SOURCES[s]] if s in KNOB_SOURCES else 1.0 for s in sources]
    return max(multipliers, default=1.0)


def apply_preferences(sources: Iterable[str], score: float, prefs: RankingPreferences) -> float:
    """`score` moved by the user's knobs: up for a multiplier above 1, down below 1, unchanged at 1."""
    multiplier = preference_multiplier(sources, prefs)
    if score >= 0:
        return score * multiplier
    return score / max(multiplier, MIN_DIVISOR)


class PreferenceBoost:
    name = "preferences"

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        prefs = context.request.preferences
        if prefs is None or all(v == KNOB_DEFAULT for v in prefs.knobs().values()) or not len(frame):
            return np.arange(len(frame))
        knobs = prefs.knobs()
        best = np.full(len(frame), -np.inf)  # `preference_multiplier` per row: the largest of its sources' knobs
        for j, source in enumerate(frame.sources):
            factor = knobs[KNOB_SOURCES[source]] if source in KNOB_SOURCES else 1.0
            best = np.where((frame.source_bits >> j) & 1 == 1, np.maximum(best, factor), best)
        multiplier = np.where(np.isfinite(best), best, 1.0)
        score = frame.score
        frame.score = np.where(score >= 0, score * multiplier, score / np.maximum(multiplier, MIN_DIVISOR))
        return np.argsort(-frame.score, kind="stable")

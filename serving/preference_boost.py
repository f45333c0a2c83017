"""How a user's feed knobs (`friends`, `popular`, `fresh`) move one candidate's value-model score.

Each knob scales the candidates a matching source proposed (`KNOB_SOURCES`). A candidate proposed by
several sources takes the largest of their multipliers (sources without a knob count as 1): turning
`popular` down damps what is there *only* because it is popular, not a friend's post that also
happens to be popular. The value-model score can be negative (the hide head costs), so a boost
multiplies a positive score and divides a negative one: a boost always moves a candidate up.

The per-head `weights` need nothing here: they are the pipeline's `RankingRequest.weight_overrides`.
Pure functions, meant to become a ranking stage when the feed pipeline is wired into serving.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from social_core.preferences import RankingPreferences

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

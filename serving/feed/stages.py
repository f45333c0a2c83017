"""Per-request pipeline stages serving adds: the user's own tuning, and capturing the served features.

Both hold state of one request, so they are added to a per-request copy of the app's pipeline
(`dataclasses.replace`, which copies references only) rather than built into it.
- `PreferenceBoost` (a selector, before the diversity selectors): the `/v1/me/ranking` knobs move each
  candidate's value-model score (`serving.preference_boost`), then the candidates are re-sorted.
- `FeatureCapture` (a side effect): the feature row each served item was scored with, by post id, so
  its impression can carry them (`features.skew` then compares exactly what was served).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from features import logged_row
from ranking.types import RankingContext, ScoredCandidate
from serving.preference_boost import apply_preferences
from social_core.preferences import RankingPreferences
from social_core.types import PostId


class PreferenceBoost:
    name = "preferences"

    def __init__(self, preferences: RankingPreferences) -> None:
        self.preferences = preferences

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> list[ScoredCandidate]:
        for candidate in candidates:
            candidate.score = apply_preferences(candidate.sources, candidate.score, self.preferences)
        return sorted(candidates, key=lambda c: -c.score)  # stable: ties keep the scorer's order


class FeatureCapture:
    name = "capture_features"

    def __init__(self) -> None:
        self.columns: tuple[str, ...] = ()
        self.rows: dict[PostId, np.ndarray] = {}  # references only: encoded for logged items alone

    def __call__(self, context: RankingContext, served: Sequence[ScoredCandidate]) -> None:
        self.columns = context.feature_columns
        self.rows = {c.post_id: c.features for c in served if c.features is not None}

    def features_of(self, post_id: PostId) -> dict[str, str] | None:
        """The row as served, in the impression's logged form (`features.logged_row`); None if not captured."""
        row = self.rows.get(post_id)
        return logged_row.encode(self.columns, row) if row is not None else None

"""Ranking preferences: how a user tunes their own feed, stored per user, defaults when never set.

The knobs (`friends`, `popular`, `fresh`) are product-level multipliers, bounded here so no client
can push one to an extreme. The per-head value-model `weights` are stored as given: their bounds are
the ranking package's (`ranking.value_model.ValueWeights`), which the API checks before calling this
(the social core imports no ML package). Each change also writes a `ranking_preferences` outbox
event, so a relay can drop the user's cached feed pages.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from social_core import outbox
from social_core.clock import utcnow
from social_core.db import upsert
from social_core.errors import Invalid
from social_core.models import RankingPreference

KNOBS = ("friends", "popular", "fresh")
KNOB_MIN, KNOB_MAX = 0.0, 2.0
KNOB_DEFAULT = 1.0


@dataclass(frozen=True)
class RankingPreferences:
    friends: float = KNOB_DEFAULT  # multiplier on in-network (followed accounts) candidates
    popular: float = KNOB_DEFAULT  # multiplier on candidates proposed for their popularity
    fresh: float = KNOB_DEFAULT  # multiplier on candidates proposed for their recency
    weights: Mapping[str, float] = field(default_factory=dict)  # value-model head -> weight (overrides)
    updated_at: datetime | None = None  # None: never set, these are the defaults

    def knobs(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in KNOBS}


def get_preferences(session: Session, user_id: int) -> RankingPreferences:
    """The user's preferences, or the defaults when they never set any."""
    row = session.get(RankingPreference, user_id)
    return _of(row) if row is not None else RankingPreferences()


def set_preferences(
    session: Session, user_id: int, preferences: RankingPreferences, *, now: datetime | None = None
) -> RankingPreferences:
    """Replace the user's preferences with `preferences` (one transaction, with its outbox event)."""
    _check(preferences)
    now = now or utcnow()
    knobs = preferences.knobs()
    weights = {head: float(weight) for head, weight in preferences.weights.items()}
    row = {"user_id": user_id, **knobs, "weights": weights, "updated_at": now}
    upsert(session, RankingPreference.__table__, row)
    payload = {**knobs, "weights": weights}
    outbox.emit(session, "ranking_preferences", actor_id=user_id, target_id=user_id, payload=payload, now=now)
    session.commit()
    session.expire_all()  # an instance loaded before the upsert would still show the old values
    return RankingPreferences(**knobs, weights=weights, updated_at=now)


def _check(preferences: RankingPreferences) -> None:
    for name, value in preferences.knobs().items():
        if not (math.isfinite(value) and KNOB_MIN <= value <= KNOB_MAX):
            raise Invalid(f"{name} must be between {KNOB_MIN:g} and {KNOB_MAX:g}, got {value:g}")
    for head, weight in preferences.weights.items():
        if not math.isfinite(float(weight)):
            raise Invalid(f"weight {head} must be a finite number")


def _of(row: RankingPreference) -> RankingPreferences:
    return RankingPreferences(row.friends, row.popular, row.fresh, dict(row.weights or {}), row.updated_at)

"""Bodies of `/v1/me/ranking`: a user's own feed tuning, bounded so no client can push it to an extreme."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from ranking.value_model import ValueWeights
from serving.schemas.common import Schema
from social_core.preferences import KNOB_DEFAULT, KNOB_MAX, KNOB_MIN


class RankingPreferencesUpdate(Schema):
    """The whole preference set (PUT replaces it): an omitted field goes back to its default."""

    friends: float = Field(
        KNOB_DEFAULT, ge=KNOB_MIN, le=KNOB_MAX, description="More or less from accounts you follow (1: as ranked)."
    )
    popular: float = Field(
        KNOB_DEFAULT, ge=KNOB_MIN, le=KNOB_MAX, description="More or less of what is popular right now (1: as ranked)."
    )
    fresh: float = Field(
        KNOB_DEFAULT, ge=KNOB_MIN, le=KNOB_MAX, description="More or less of the newest posts (1: as ranked)."
    )
    weights: dict[str, float] = Field(
        default_factory=dict,
        description="Value-model weights per head (like, comment, save, share, hide) replacing the defaults; "
        "each within the ranking's bounds (hide zero or negative, the others zero or positive).",
        examples=[{"save": 10.0, "hide": -40.0}],
    )

    @field_validator("weights")
    @classmethod
    def _within_value_model_bounds(cls, weights: dict[str, float]) -> dict[str, float]:
        ValueWeights().override(weights)  # raises ValueError with the head and the bound it broke
        return weights


class RankingPreferencesPublic(Schema):
    friends: float
    popular: float
    fresh: float
    weights: dict[str, float] = Field(description="Only the heads you changed; the others use the defaults.")
    defaults: dict[str, float] = Field(description="The value-model weights every head has unless you change it.")
    updated_at: datetime | None = Field(None, description="When you last changed them; null: never (the defaults).")

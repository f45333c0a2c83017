"""One ranking run: the app's pipeline, with this request's scorer, weights and knobs.

The user's `/v1/me/ranking` preferences apply to the home feed: their value-model weights become the
request's `weight_overrides` (bounded by `ValueWeights`), their knobs the request's `preferences`
(the pipeline's `PreferenceBoost`). Explore is not personalised by them. The retrieval (pipelines built
around the served two-tower version) is read once, so the fallbacks decided when it was built (no FAISS
index) and the two-tower version reported are those that actually ranked: they are added to the run's
`served_by` and `Ranked`, so the page, the cached list, the logs and the metrics all report them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from features import logged_row
from ranking.degraded import Degraded
from ranking.result import PipelineResult
from ranking.types import RankingRequest
from serving.feed.assembly import FeedStack
from social_core.preferences import RankingPreferences
from social_core.types import PostId, UserId

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ranked:
    result: PipelineResult
    two_tower_version: str | None  # the retrieval model that ranked it (None: no two-tower yet)

    def logged_of(self, post_id: PostId, position: int) -> dict[str, Any]:
        """What the item's impression logs of this ranking: the row it was scored with (`features.logged_row`)
        and, when the ranking explored, its propensity at `position`."""
        row = self.result.rows.row(post_id)
        logged: dict[str, Any] = (
            {"features": logged_row.encode(self.result.rows.columns, row)} if row is not None else {}
        )
        if self.result.explored is not None:
            logged |= self.result.explored.payload(post_id, position)
        return logged


def rank(
    stack: FeedStack,
    pipeline: str,
    user_id: UserId,
    now: datetime,
    *,
    depth: int,
    preferences: RankingPreferences | None = None,
    extra_reasons: tuple[Degraded, ...] = (),
) -> Ranked:
    retrieval = stack.retrieval_now()  # once: a new two-tower champion serves from the next request
    request = RankingRequest(
        user_id,
        limit=depth,
        now_ts=now.timestamp(),
        weight_overrides=_weights(stack, preferences),
        preferences=preferences,
    )
    result = retrieval.pipelines[pipeline](request, scoring=stack.ranker.scoring(stack.weights))
    reasons = (*retrieval.degraded[pipeline], *extra_reasons)
    if reasons:
        served_by = replace(result.served_by, degraded_reasons=(*result.served_by.degraded_reasons, *reasons))
        result = replace(result, served_by=served_by)
    return Ranked(result, retrieval.two_tower_version)


def _weights(stack: FeedStack, preferences: RankingPreferences | None) -> dict[str, float] | None:
    """The user's weights when they are still within bounds (a stored value may predate a bound change)."""
    if preferences is None or not preferences.weights:
        return None
    weights = dict(preferences.weights)
    try:
        stack.weights.override(weights)
    except ValueError:
        log.warning("ignoring out-of-bounds ranking weights %s", weights, exc_info=True)
        return None
    return weights

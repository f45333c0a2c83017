"""One ranking run: the app's pipeline, copied with this request's scorer, tuning and feature capture.

The user's `/v1/me/ranking` preferences apply to the home feed: their value-model weights become the
request's `weight_overrides` (bounded by `ValueWeights`), their knobs a `PreferenceBoost` selector.
Explore is not personalised by them. The retrieval (pipelines built around the served two-tower
version) is read once, so the fallbacks decided when it was built (no FAISS index) and the two-tower
version reported are those that actually ranked: they are added to the run's `served_by` and `Ranked`,
so the page, the cached list, the logs and the metrics all report them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from ranking.result import PipelineResult
from ranking.selectors.base import Selector
from ranking.types import RankingRequest
from serving.feed.assembly import FeedStack
from serving.feed.stages import FeatureCapture, PreferenceBoost
from social_core.preferences import KNOB_DEFAULT, RankingPreferences
from social_core.types import UserId

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ranked:
    result: PipelineResult
    capture: FeatureCapture
    two_tower_version: str | None  # the retrieval model that ranked it (None: no two-tower yet)


def rank(
    stack: FeedStack,
    pipeline: str,
    user_id: UserId,
    now: datetime,
    *,
    depth: int,
    preferences: RankingPreferences | None = None,
    extra_reasons: tuple[str, ...] = (),
) -> Ranked:
    capture = FeatureCapture()
    retrieval = stack.retrieval_now()  # once: a new two-tower champion serves from the next request
    base = retrieval.pipelines[pipeline]
    run = replace(
        base,
        scoring=stack.ranker.scoring(stack.weights),
        selectors=[*_boost(preferences), *base.selectors],
        side_effects=[*base.side_effects, capture],
    )
    request = RankingRequest(
        user_id, limit=depth, now_ts=now.timestamp(), weight_overrides=_weights(stack, preferences)
    )
    result = run(request)
    reasons = (*retrieval.degraded[pipeline], *extra_reasons)
    if reasons:
        served_by = replace(result.served_by, degraded_reasons=(*result.served_by.degraded_reasons, *reasons))
        result = replace(result, served_by=served_by)
    return Ranked(result, capture, retrieval.two_tower_version)


def _boost(preferences: RankingPreferences | None) -> list[Selector]:
    if preferences is None or all(v == KNOB_DEFAULT for v in preferences.knobs().values()):
        return []
    return [PreferenceBoost(preferences)]


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

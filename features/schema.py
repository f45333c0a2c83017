"""The feature catalogue: every feature view's columns, the model feature lists and the defaults.

One place that the Feast definitions (`features/repo/`), the batch and stream pipelines and the
fast hydrator all read, so a feature cannot be named one way in one of them and another elsewhere.
Every feature is a Float64 (counts too): one numeric type keeps the online hydration a single
`numpy.frombuffer` and is what the models consume anyway.
"""

from __future__ import annotations

from typing import Any, overload

import numpy as np

PROJECT = "pixelrank"

# Smoothed engagement rate = (engagements + PRIOR_RATE * PRIOR_STRENGTH) / (impressions + PRIOR_STRENGTH).
PRIOR_RATE = 0.05
PRIOR_STRENGTH = 20.0
ENGAGEMENT_TYPES = ("like", "comment", "save", "share")

USER_WINDOWS = {"1d": 86_400, "7d": 7 * 86_400, "28d": 28 * 86_400}
POST_WINDOWS = {"1h": 3_600, "24h": 86_400}
USER_COUNTED = {"likes": "like", "comments": "comment", "saves": "save", "hides": "hide", "impressions": "impression"}
POST_COUNTED = {"likes": "like", "comments": "comment", "saves": "save", "impressions": "impression"}

MEDIA_TYPES = {"none": 0.0, "image": 1.0, "video": 2.0, "carousel": 3.0}

USER_FEATURES = [
    *(f"user_{name}_{w}" for name in USER_COUNTED for w in USER_WINDOWS),
    "user_engagement_rate_7d",
    "user_engagement_rate_28d",
    "user_active_days_28d",
    "user_following_count",
    "user_account_age_days",
]
POST_CONTENT_FEATURES = ["post_created_ts", "post_media_type", "post_caption_length", "post_hashtag_count"]
POST_STATS_FEATURES = [
    *(f"post_{name}_total" for name in POST_COUNTED),
    *(f"post_{name}_{w}" for name in POST_COUNTED for w in POST_WINDOWS),
    "post_engagement_rate",
]
AUTHOR_FEATURES = ["author_followers", "author_posts_7d", "author_engagement_rate_28d", "author_is_celebrity"]
PAIR_FEATURES = [
    "ua_interactions_28d",
    "ua_hides_28d",
    "ua_last_interaction_ts",
    "ua_follows",
    "ua_followed_by",
    "ua_mutual",
]
REQUEST_FEATURES = ["post_age_hours", "ua_hours_since_last"]  # on-demand, from `request_ts`

# The newest outbox event id folded into a row of a streamed view (not a model feature): the stream
# push skips events at or below it, so a batch handed over twice counts once (`features.stream.push`).
LAST_EVENT = "last_event_id"
STREAMED_VIEWS = ("user_engagement", "post_stats", "author_stats", "user_author")

# feature view name -> (join keys, features)
VIEWS: dict[str, tuple[tuple[str, ...], list[str]]] = {
    "user_engagement": (("user_id",), [*USER_FEATURES, LAST_EVENT]),
    "post_content": (("post_id",), POST_CONTENT_FEATURES),
    "post_stats": (("post_id",), [*POST_STATS_FEATURES, LAST_EVENT]),
    "author_stats": (("author_id",), [*AUTHOR_FEATURES, LAST_EVENT]),
    "user_author": (("user_id", "author_id"), [*PAIR_FEATURES, LAST_EVENT]),
}
REQUEST_VIEW = "request_time"

# What each model reads, in column order (feature services of the same names).
SERVICES: dict[str, dict[str, list[str]]] = {
    "ranker_v1": {
        "user_engagement": USER_FEATURES,
        "post_content": ["post_media_type", "post_caption_length", "post_hashtag_count"],
        "post_stats": POST_STATS_FEATURES,
        "author_stats": AUTHOR_FEATURES,
        "user_author": [f for f in PAIR_FEATURES if f != "ua_last_interaction_ts"],
        REQUEST_VIEW: REQUEST_FEATURES,
    },
    "two_tower_v1": {
        "user_engagement": [
            "user_likes_28d",
            "user_comments_28d",
            "user_saves_28d",
            "user_impressions_28d",
            "user_engagement_rate_28d",
            "user_active_days_28d",
            "user_following_count",
            "user_account_age_days",
        ],
        # The post tower embeds a post from its content when it is created (these three, read from the
        # post's row then); engagement counters are left to the ranker: an indexed embedding cannot
        # follow them as they change.
        "post_content": ["post_media_type", "post_caption_length", "post_hashtag_count"],
    },
}

NO_INTERACTION_HOURS = 10_000.0
UNKNOWN_POST_AGE_HOURS = 24.0 * 30
RATE_FEATURES = {
    "user_engagement_rate_7d",
    "user_engagement_rate_28d",
    "post_engagement_rate",
    "author_engagement_rate_28d",
}


def default(feature: str) -> float:
    """The value a model sees for a missing entity or feature: 0 for counts and flags, the prior for
    rates, 30 days for an unknown post's age, 10,000 h since a never-seen interaction, NaN for timestamps
    (and 0 for `LAST_EVENT`: no event folded in yet)."""
    if feature in RATE_FEATURES:
        return PRIOR_RATE
    if feature == "post_age_hours":
        return UNKNOWN_POST_AGE_HOURS
    if feature == "ua_hours_since_last":
        return NO_INTERACTION_HOURS
    if feature.endswith("_ts"):
        return float("nan")
    return 0.0


def service_columns(service: str) -> list[str]:
    return [feature for features in SERVICES[service].values() for feature in features]


@overload
def smoothed_rate(engagements: float, impressions: float) -> float: ...
@overload
def smoothed_rate(engagements: np.ndarray, impressions: np.ndarray) -> np.ndarray: ...
def smoothed_rate(engagements: Any, impressions: Any) -> Any:
    return (engagements + PRIOR_RATE * PRIOR_STRENGTH) / (impressions + PRIOR_STRENGTH)

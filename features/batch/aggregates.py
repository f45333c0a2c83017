"""The five feature views as point-in-time aggregates of the outbox.

Each view has one row per (key, time at which one of the key's events happened) plus one row per
key at the build's as-of time; every value in a row is the value as of that row's time (windowed
counts over the window ending then). A point-in-time join at any time t thus sees the windows as of
the key's last change before t — exactly what the online store holds between two updates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.batch.events import Events
from features.batch.frames import counters_for, empty, indicator, output
from features.batch.windows import Counter, factorize, make_timeline, query_points
from features.schema import (
    AUTHOR_FEATURES,
    ENGAGEMENT_TYPES,
    PAIR_FEATURES,
    POST_CONTENT_FEATURES,
    POST_COUNTED,
    POST_STATS_FEATURES,
    POST_WINDOWS,
    USER_COUNTED,
    USER_FEATURES,
    USER_WINDOWS,
    smoothed_rate,
)

DAY_MS = 86_400_000
UNDO = {"like": "unlike", "save": "unsave"}


@dataclass(frozen=True)
class AggregateConfig:
    celebrity_followers: int = 10_000  # author_is_celebrity at or above this many followers


def user_engagement(events: Events, until_ms: int) -> pd.DataFrame:
    acts = events.of(*USER_COUNTED.values(), "share", "follow", "unfollow", "user_created")
    acts = acts[acts["actor_id"] >= 0]
    if acts.empty:
        return empty(("user_id",), USER_FEATURES)
    keys, uniques = factorize(acts["actor_id"].to_numpy())
    ts, types = acts["ts_ms"].to_numpy(), acts["type"]
    timeline = make_timeline(keys, ts, until_ms, 28 * DAY_MS)
    counters = counters_for(types, USER_COUNTED, USER_WINDOWS, "user")
    engaged = indicator(types, *ENGAGEMENT_TYPES)
    counters |= {f"eng_{w}": Counter(engaged, USER_WINDOWS[w] * 1000) for w in ("7d", "28d")}
    counters["user_following_count"] = Counter(indicator(types, "follow") - indicator(types, "unfollow"))
    counters["user_active_days_28d"] = Counter(_first_of_day(keys, ts, types), 28 * DAY_MS)
    q_keys, q_ts = query_points(keys, ts, until_ms)
    sums = timeline.sums(counters, q_keys, q_ts)
    for w in ("7d", "28d"):
        sums[f"user_engagement_rate_{w}"] = smoothed_rate(sums.pop(f"eng_{w}"), sums[f"user_impressions_{w}"])
    created = pd.Series(ts[types.eq("user_created").to_numpy()], index=keys[types.eq("user_created").to_numpy()])
    created_at = created.groupby(level=0).min().reindex(np.arange(len(uniques[0]))).to_numpy()
    sums["user_account_age_days"] = np.nan_to_num(np.maximum(q_ts - created_at[q_keys], 0) / DAY_MS, nan=0.0)
    return output(("user_id",), uniques, q_keys, q_ts, {f: sums[f] for f in USER_FEATURES})


def _first_of_day(keys: np.ndarray, ts: np.ndarray, types: pd.Series) -> np.ndarray:
    """1 on each user's first activity of a UTC day (sign-up and follows excluded), else 0."""
    active = ~types.isin(["user_created", "follow", "unfollow"]).to_numpy()
    days = ts // DAY_MS
    frame = pd.DataFrame({"k": keys, "d": days, "t": ts, "a": active})
    firsts = frame[frame["a"]].sort_values("t", kind="stable").drop_duplicates(["k", "d"]).index
    values = np.zeros(len(keys))
    values[frame.index.get_indexer(firsts)] = 1.0
    return values


def post_content(events: Events, until_ms: int) -> pd.DataFrame:
    posts = events.posts
    if posts.empty:
        return empty(("post_id",), POST_CONTENT_FEATURES)
    posts = posts.sort_values("ts_ms", kind="stable").drop_duplicates("post_id")
    columns = {
        "post_created_ts": posts["ts_ms"].to_numpy() / 1000.0,
        "post_media_type": posts["media_type"].to_numpy(),
        "post_caption_length": posts["caption_length"].to_numpy(),
        "post_hashtag_count": posts["hashtag_count"].to_numpy(),
    }
    n = len(posts)
    return output(("post_id",), [posts["post_id"].to_numpy()], np.arange(n), posts["ts_ms"].to_numpy(), columns)


def post_stats(events: Events, until_ms: int) -> pd.DataFrame:
    acts = events.of(*POST_COUNTED.values(), *UNDO.values(), "share", "post_created")
    acts = acts[acts["post_id"] >= 0]
    if acts.empty:
        return empty(("post_id",), POST_STATS_FEATURES)
    keys, uniques = factorize(acts["post_id"].to_numpy())
    ts, types = acts["ts_ms"].to_numpy(), acts["type"]
    timeline = make_timeline(keys, ts, until_ms, DAY_MS)
    counters = counters_for(types, POST_COUNTED, {"total": 0, **POST_WINDOWS}, "post", UNDO)
    counters["eng"] = Counter(indicator(types, *ENGAGEMENT_TYPES) - indicator(types, *UNDO.values()))
    q_keys, q_ts = query_points(keys, ts, until_ms)
    sums = timeline.sums(counters, q_keys, q_ts)
    sums["post_engagement_rate"] = smoothed_rate(sums.pop("eng"), sums["post_impressions_total"])
    return output(("post_id",), uniques, q_keys, q_ts, {f: sums[f] for f in POST_STATS_FEATURES})


def author_stats(events: Events, until_ms: int, config: AggregateConfig) -> pd.DataFrame:
    acts = events.of(*ENGAGEMENT_TYPES, "impression", "follow", "unfollow", "post_created")
    acts = acts[acts["target_id"] >= 0]
    if acts.empty:
        return empty(("author_id",), AUTHOR_FEATURES)
    keys, uniques = factorize(acts["target_id"].to_numpy())
    ts, types = acts["ts_ms"].to_numpy(), acts["type"]
    timeline = make_timeline(keys, ts, until_ms, 28 * DAY_MS)
    counters = {
        "author_followers": Counter(indicator(types, "follow") - indicator(types, "unfollow")),
        "author_posts_7d": Counter(indicator(types, "post_created"), 7 * DAY_MS),
        "eng": Counter(indicator(types, *ENGAGEMENT_TYPES), 28 * DAY_MS),
        "imp": Counter(indicator(types, "impression"), 28 * DAY_MS),
    }
    q_keys, q_ts = query_points(keys, ts, until_ms)
    sums = timeline.sums(counters, q_keys, q_ts)
    sums["author_engagement_rate_28d"] = smoothed_rate(sums.pop("eng"), sums.pop("imp"))
    sums["author_is_celebrity"] = (sums["author_followers"] >= config.celebrity_followers).astype(np.float64)
    return output(("author_id",), uniques, q_keys, q_ts, {f: sums[f] for f in AUTHOR_FEATURES})


def user_author(events: Events, until_ms: int) -> pd.DataFrame:
    acts = events.of(*ENGAGEMENT_TYPES, "hide", "follow", "unfollow")
    acts = acts[(acts["actor_id"] >= 0) & (acts["target_id"] >= 0)]
    if acts.empty:
        return empty(("user_id", "author_id"), PAIR_FEATURES)
    follows = acts["type"].isin(["follow", "unfollow"]).to_numpy()
    # A follow a→b is the pair (a, b)'s `follows` and the pair (b, a)'s `followed_by`.
    reverse = acts[follows]
    users = np.concatenate([acts["actor_id"].to_numpy(), reverse["target_id"].to_numpy()])
    authors = np.concatenate([acts["target_id"].to_numpy(), reverse["actor_id"].to_numpy()])
    types = pd.concat([acts["type"].astype(str), reverse["type"].astype(str)], ignore_index=True)
    is_reverse = np.concatenate([np.zeros(len(acts), bool), np.ones(len(reverse), bool)])
    ts = np.concatenate([acts["ts_ms"].to_numpy(), reverse["ts_ms"].to_numpy()])
    keys, uniques = factorize(users, authors)
    timeline = make_timeline(keys, ts, until_ms, 28 * DAY_MS)
    engaged = indicator(types, *ENGAGEMENT_TYPES)
    follow = indicator(types, "follow") - indicator(types, "unfollow")
    counters = {
        "ua_interactions_28d": Counter(engaged, 28 * DAY_MS),
        "ua_hides_28d": Counter(indicator(types, "hide"), 28 * DAY_MS),
        "ua_follows": Counter(np.where(is_reverse, 0.0, follow)),
        "ua_followed_by": Counter(np.where(is_reverse, follow, 0.0)),
    }
    q_keys, q_ts = query_points(keys, ts, until_ms)
    sums = timeline.sums(counters, q_keys, q_ts)
    sums["ua_follows"] = np.clip(sums["ua_follows"], 0, 1)
    sums["ua_followed_by"] = np.clip(sums["ua_followed_by"], 0, 1)
    sums["ua_mutual"] = sums["ua_follows"] * sums["ua_followed_by"]
    sums["ua_last_interaction_ts"] = timeline.last_time(engaged > 0, q_keys, q_ts) / 1000.0
    return output(("user_id", "author_id"), uniques, q_keys, q_ts, {f: sums[f] for f in PAIR_FEATURES})

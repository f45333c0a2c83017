"""The synthetic world: users with hidden interests, a follow graph, and posts over D days.

Everything is drawn from one `numpy.random.default_rng(seed)` in a fixed order, vectorised, so the
same `WorldConfig` always yields the same world (10,000 users × 30 days in about a second).

Hidden (never written to the database, see `truth.py`): interests over K topics, activity, author
quality, like propensity, post topics and post quality. Visible (written through `writer.py`):
usernames, sign-up times, follows, posts with their captions and times.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from social_core.ids import EPOCH_MS, NODE_BITS, SEQUENCE_BITS
from training.simulation import vocabulary

DAY = 86_400.0
WORLD_START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday; a fixed anchor keeps worlds reproducible
# Relative activity per UTC hour: quiet nights, a lunch bump, an evening peak.
DIURNAL = np.array([3, 2, 1, 1, 1, 2, 4, 6, 7, 7, 7, 8, 10, 9, 7, 7, 7, 8, 10, 12, 13, 12, 9, 6], dtype=float)


@dataclass(frozen=True)
class WorldConfig:
    users: int = 1_000
    days: int = 30
    seed: int = 0
    topics: int = 20  # K latent topics
    celebrities: int = 10  # accounts a large share of users follow (at most `users`)
    celebrity_share: float = 0.25  # share of popularity-driven follows that go to celebrities
    interest_alpha: float = 0.12  # Dirichlet concentration per topic; small = few interests per user
    activity_sigma: float = 1.0  # log-normal spread of activity (sessions and posting)
    fame_shape: float = 1.3  # Pareto shape of the follow-attachment fitness; smaller = heavier tail
    mean_following: float = 40.0  # mean out-degree of the follow graph
    homophily: float = 0.6  # share of follows picked by shared interests (the rest by fame)
    posts_per_day: float = 0.3  # mean posts per user per day
    history_days: int = 60  # users sign up over this many days before `start`; follows form then too
    # Share of captions that name the post's topic; the others say nothing a model could read it from,
    # as many real captions don't (then only the picture and the author tell the topic).
    caption_topic_share: float = 1.0
    start: datetime = WORLD_START

    def __post_init__(self) -> None:
        if self.users < 1 or self.days < 1:
            raise ValueError("a world needs at least 1 user and 1 day")
        if self.topics < 1 or self.celebrities < 0:
            raise ValueError("a world needs at least 1 topic and no negative number of celebrities")
        if not 0.0 <= self.caption_topic_share <= 1.0:
            raise ValueError("caption_topic_share must be between 0 and 1")
        if self.start.tzinfo is None:
            raise ValueError("start must be timezone-aware")


@dataclass
class World:
    """One generated world; arrays are indexed by world user index / post index (posts sorted by time)."""

    config: WorldConfig
    usernames: list[str]
    full_names: list[str]
    user_created: np.ndarray  # float64 epoch seconds
    interests: np.ndarray  # (users, K) float32, rows sum to 1 — hidden
    activity: np.ndarray  # float32, mean 1 — hidden
    author_quality: np.ndarray  # float32 — hidden
    propensity: np.ndarray  # float32, per-user engagement bias — hidden
    celebrity: np.ndarray  # bool
    follow_src: np.ndarray  # int32 follower index
    follow_dst: np.ndarray  # int32 followee index
    follow_at: np.ndarray  # float64 epoch seconds
    post_author: np.ndarray  # int32
    post_at: np.ndarray  # float64 epoch seconds, ascending, whole milliseconds
    post_topic: np.ndarray  # int16 — hidden
    post_quality: np.ndarray  # float32 — hidden
    post_ids: np.ndarray  # int64 time-sortable snowflakes
    captions: list[str] = field(repr=False)

    @property
    def n_users(self) -> int:
        return len(self.usernames)

    @property
    def n_posts(self) -> int:
        return len(self.post_ids)


def generate_world(config: WorldConfig) -> World:
    rng = np.random.default_rng(config.seed)
    users = _users(rng, config)
    src, dst, follow_at = _follows(rng, config, users)
    posts = _posts(rng, config, users)
    return World(config=config, **users, follow_src=src, follow_dst=dst, follow_at=follow_at, **posts)


def sample_times(rng: np.random.Generator, n: int, start: float, first_day: int, days: int) -> np.ndarray:
    """n epoch-second times (whole ms) on days [first_day, days), hours following `DIURNAL`."""
    day = rng.integers(first_day, days, n)
    hour = rng.choice(24, size=n, p=DIURNAL / DIURNAL.sum())
    seconds = start + day * DAY + hour * 3600.0 + rng.random(n) * 3600.0
    return np.round(seconds, 3)


def snowflakes(times: np.ndarray, counter_start: int = 0) -> np.ndarray:
    """`social_core.ids.compose` for many times (whole ms): the node and sequence bits hold a running
    counter, so ids are unique unless more than 2^(NODE_BITS + SEQUENCE_BITS) rows share a millisecond."""
    ms = np.round(np.asarray(times) * 1000).astype(np.int64)
    low_bits = (np.arange(len(ms), dtype=np.int64) + counter_start) & ((1 << (NODE_BITS + SEQUENCE_BITS)) - 1)
    return ((ms - EPOCH_MS) << (NODE_BITS + SEQUENCE_BITS)) | low_bits


def pick_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One column index per row, drawn with probability proportional to that row's weights."""
    cumulative = np.cumsum(weights, axis=1)
    draws = rng.random(len(weights)) * cumulative[:, -1]
    return np.asarray(np.minimum((cumulative < draws[:, None]).sum(axis=1), weights.shape[1] - 1))


def _users(rng: np.random.Generator, config: WorldConfig) -> dict[str, Any]:
    n, start = config.users, config.start.timestamp()
    usernames, full_names = vocabulary.person_names(rng, n)
    interests = rng.dirichlet(np.full(config.topics, config.interest_alpha), size=n).astype(np.float32)
    activity = rng.lognormal(0.0, config.activity_sigma, n)
    quality = rng.normal(0.0, 1.0, n)
    celebrity = np.zeros(n, dtype=bool)
    celebrity[rng.choice(n, min(config.celebrities, n), replace=False)] = True
    quality[celebrity] += 1.0
    created = start - rng.random(n) * config.history_days * DAY
    created[celebrity] = start - config.history_days * DAY * (1.0 + rng.random(celebrity.sum()))
    return {
        "usernames": usernames,
        "full_names": full_names,
        "user_created": np.round(created, 3),
        "interests": interests,
        "activity": (activity / activity.mean()).astype(np.float32),
        "author_quality": quality.astype(np.float32),
        "propensity": rng.normal(0.0, 0.5, n).astype(np.float32),
        "celebrity": celebrity,
    }


def _follows(rng: np.random.Generator, config: WorldConfig, users: dict[str, Any]) -> tuple[np.ndarray, ...]:
    """Out-degrees from activity; each edge goes by shared interest (homophily) or by fame."""
    n, interests, celebrity = config.users, users["interests"], users["celebrity"]
    if n == 1:
        return np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0)
    degree = users["activity"] ** 0.5 * rng.lognormal(0.0, 0.6, n)
    degree = np.clip(np.round(degree / degree.mean() * config.mean_following), 1, n - 1).astype(np.int64)
    src = np.repeat(np.arange(n), degree)
    fame = rng.pareto(config.fame_shape, n) + 1.0
    if celebrity.any() and not celebrity.all():
        share = config.celebrity_share / (1.0 - config.celebrity_share)
        fame[celebrity] = fame[~celebrity].sum() * share / celebrity.sum()
    by_interest = rng.random(len(src)) < config.homophily
    dst = np.empty_like(src)
    dst[~by_interest] = _draw(rng, fame, (~by_interest).sum())
    topic = pick_rows(rng, interests[src[by_interest]])
    targets = np.empty(len(topic), dtype=np.int64)
    for t in range(config.topics):
        chosen = topic == t
        targets[chosen] = _draw(rng, interests[:, t] * np.sqrt(fame), chosen.sum())
    dst[by_interest] = targets
    keep = src != dst
    pairs = np.unique(src[keep] * n + dst[keep])
    src, dst = (pairs // n).astype(np.int32), (pairs % n).astype(np.int32)
    earliest = np.maximum(users["user_created"][src], users["user_created"][dst])
    start = config.start.timestamp()
    follow_at = np.round(earliest + (start - earliest) * rng.random(len(src)), 3)
    return src, dst, follow_at


def _draw(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    cumulative = np.cumsum(weights)
    picks = np.searchsorted(cumulative, rng.random(size) * cumulative[-1], side="right")
    return np.asarray(np.minimum(picks, len(weights) - 1))


def _posts(rng: np.random.Generator, config: WorldConfig, users: dict[str, Any]) -> dict[str, Any]:
    rate = users["activity"] ** 0.7 * np.where(users["celebrity"], 3.0, 1.0)
    rate = rate / rate.mean() * config.posts_per_day * config.days
    author = np.repeat(np.arange(config.users, dtype=np.int32), rng.poisson(rate))
    at = sample_times(rng, len(author), config.start.timestamp(), 0, config.days)
    focus = users["interests"][author].astype(np.float64) ** 2  # authors post mostly on their top topics
    topic = pick_rows(rng, focus + 1e-12).astype(np.int16)
    quality = (users["author_quality"][author] + rng.normal(0.0, 0.5, len(author))).astype(np.float32)
    order = np.argsort(at, kind="stable")
    author, at, topic, quality = author[order], at[order], topic[order], quality[order]
    return {
        "post_author": author,
        "post_at": at,
        "post_topic": topic,
        "post_quality": quality,
        "post_ids": snowflakes(at),
        "captions": vocabulary.captions(rng, topic, config.topics, config.caption_topic_share, config.seed),
    }

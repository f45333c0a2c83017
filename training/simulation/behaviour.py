"""The HIDDEN behaviour model: P(action | user, post, position) and dwell, from the world's truth.

    z = bias + propensity[u] + w_i·log(0.25 + K·interest[u, topic[p]]) + w_f·follows(u, author)
        + w_x·log1p(past interactions u→author) + w_h·past hides u→author + w_q·quality[p]
        − w_r·log1p(age_h / 6) − w_p·log1p(position)
    P(like) = σ(z);  P(comment) = σ(z + comment_offset);  P(save) = σ(z + save_offset + w_s·quality)
    P(share) = σ(z + share_offset);  P(hide) = σ(hide_bias + w_hi·log-affinity + w_hf·follows − w_q·quality)

A hide excludes the other actions. A session views position i with probability
Π_{j<i} continue(j), continue(j) = max(floor, first − step·j): the stop depends on position only,
so sorting by the position-free score is the optimal arrangement (what the oracle does).
Platform code must never import this module; it is the simulator's private truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from training.simulation.truth import Truth

ENGAGEMENTS = ("like", "comment", "save", "share")
ACTIONS = (*ENGAGEMENTS, "hide")


@dataclass(frozen=True)
class BehaviourConfig:
    like_bias: float = -3.4
    interest_weight: float = 0.7
    follow_weight: float = 0.8
    interaction_weight: float = 0.5
    hide_memory: float = -1.5
    quality_weight: float = 0.35
    recency_weight: float = 0.4
    position_weight: float = 0.3
    comment_offset: float = -2.3
    save_offset: float = -2.2
    save_quality: float = 0.4
    share_offset: float = -2.8
    hide_bias: float = -5.5
    hide_interest: float = -0.5
    hide_follow: float = -1.0
    dwell_seconds: float = 2.5
    dwell_sigma: float = 0.6
    continue_first: float = 0.92
    continue_step: float = 0.03
    continue_floor: float = 0.4


@dataclass
class Exposure:
    """A batch of (user, post, position) impressions with what the user remembers of the author."""

    users: np.ndarray  # world user index
    posts: np.ndarray  # post index
    positions: np.ndarray  # 0-based feed position
    age_s: np.ndarray  # post age at the impression
    followed: np.ndarray  # bool: the user follows the author
    interactions: np.ndarray  # the user's past likes/comments/saves on the author's posts
    hides: np.ndarray  # the user's past hides of the author's posts


def log_affinity(truth: Truth, users: np.ndarray, posts: np.ndarray) -> np.ndarray:
    k = truth.interests.shape[1]
    return np.asarray(np.log(0.25 + k * truth.interests[users, truth.post_topic[posts]]))


def probabilities(truth: Truth, x: Exposure, cfg: BehaviourConfig) -> dict[str, np.ndarray]:
    affinity = log_affinity(truth, x.users, x.posts)
    quality = truth.post_quality[x.posts]
    z = (
        cfg.like_bias
        + truth.propensity[x.users]
        + cfg.interest_weight * affinity
        + cfg.follow_weight * x.followed
        + cfg.interaction_weight * np.log1p(x.interactions)
        + cfg.hide_memory * x.hides
        + cfg.quality_weight * quality
        - cfg.recency_weight * np.log1p(np.maximum(x.age_s, 0.0) / 21_600.0)
        - cfg.position_weight * np.log1p(x.positions)
    )
    hide = cfg.hide_bias + cfg.hide_interest * affinity + cfg.hide_follow * x.followed - cfg.quality_weight * quality
    return {
        "like": _sigmoid(z),
        "comment": _sigmoid(z + cfg.comment_offset),
        "save": _sigmoid(z + cfg.save_offset + cfg.save_quality * quality),
        "share": _sigmoid(z + cfg.share_offset),
        "hide": _sigmoid(hide),
    }


def expected_engagement(probs: dict[str, np.ndarray]) -> np.ndarray:
    """Expected likes + comments + saves + shares per impression (a hide excludes them)."""
    return (1.0 - probs["hide"]) * sum(probs[name] for name in ENGAGEMENTS)


def sample_actions(rng: np.random.Generator, probs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    draws = rng.random((len(ACTIONS), len(probs["like"])))
    acted = {name: draws[i] < probs[name] for i, name in enumerate(ACTIONS)}
    for name in ENGAGEMENTS:
        acted[name] &= ~acted["hide"]
    return acted


def dwell_seconds(
    rng: np.random.Generator, truth: Truth, x: Exposure, acted: dict[str, np.ndarray], cfg: BehaviourConfig
) -> np.ndarray:
    """Longer on posts the user cares about and on posts they act on (a comment takes typing)."""
    affinity = log_affinity(truth, x.users, x.posts)
    base = np.log(cfg.dwell_seconds) + 0.15 * affinity + 0.1 * truth.post_quality[x.posts]
    seconds = np.exp(base + rng.normal(0.0, cfg.dwell_sigma, len(x.posts)))
    seconds += 1.5 * acted["like"] + 8.0 * acted["comment"] + 1.0 * acted["save"] + 3.0 * acted["share"]
    return np.asarray(np.clip(seconds, 0.3, 120.0))


def continue_probability(positions: np.ndarray, cfg: BehaviourConfig) -> np.ndarray:
    return np.maximum(cfg.continue_floor, cfg.continue_first - cfg.continue_step * positions)


def reach(n: int, cfg: BehaviourConfig) -> np.ndarray:
    """P(the session views position i) for i < n."""
    keep = continue_probability(np.arange(n), cfg)
    return np.concatenate(([1.0], np.cumprod(keep)[:-1]))[:n]


def positions_viewed(rng: np.random.Generator, n: int, cfg: BehaviourConfig) -> int:
    """How many of the first n positions a session views before it stops scrolling."""
    if n == 0:
        return 0
    stops = rng.random(n) >= continue_probability(np.arange(n), cfg)
    return int(np.argmax(stops)) + 1 if stops.any() else n


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-z)))

"""Feed policies simulated users scroll through, and the registry the CLI picks them from.

`chronological` and `popular` see only what the platform sees (the `FeedIndex` built from the
database); `oracle` ranks by the hidden behaviour model and exists only to report how far a policy is
from the best achievable. Every policy shows each user only eligible posts: created before `now`,
alive, not their own, not already seen or hidden (the product's filters).

`serving` registers `POLICIES["model"]` (`register_policy`: the ranking pipeline needs the composition
root's wiring); where it has not, asking for it fails with `PENDING_POLICIES["model"]`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np

from ranking.selectors.exploration import Explored
from training.simulation import behaviour
from training.simulation.behaviour import BehaviourConfig
from training.simulation.errors import SimulationError
from training.simulation.index import FeedIndex
from training.simulation.truth import Truth


class Policy(Protocol):
    name: str  # logged in each impression's payload as "policy"
    version: str | None  # logged as "model_version" (None for heuristics)
    explored: Explored | None  # the last `rank`'s exploration draw, logged with its impressions (None: none)

    def rank(self, user_id: int, now: datetime, k: int) -> list[int]:
        """Up to k post ids for `user_id`'s feed at `now`, best first; only posts created before `now`."""
        ...


@dataclass
class PolicyContext:
    index: FeedIndex
    truth: Truth  # the hidden truth: only the oracle may read it
    behaviour: BehaviourConfig
    recent_s: float  # out-of-network pool: posts created in the last `recent_s` seconds


PolicyFactory = Callable[[PolicyContext], Policy]


class Chronological:
    """The in-network read path: posts of followed accounts, newest first."""

    name: str = "chronological"
    version: str | None = None
    explored: Explored | None = None

    def __init__(self, context: PolicyContext) -> None:
        self.index = context.index

    def rank(self, user_id: int, now: datetime, k: int) -> list[int]:
        user = self.index.user_index(user_id)
        posts = self.index.eligible(user, self.index.in_network(user, now.timestamp()), k)
        return _ids(self.index, posts)


class Popular:
    """Recent posts by engagement (likes, comments, saves, shares) decayed with a half-life up to `now`."""

    name: str = "popular"
    version: str | None = None
    explored: Explored | None = None

    def __init__(self, context: PolicyContext) -> None:
        self.index, self.recent_s = context.index, context.recent_s

    def rank(self, user_id: int, now: datetime, k: int) -> list[int]:
        user, at = self.index.user_index(user_id), now.timestamp()
        self.index.popularity.advance(at)
        pool = self.index.recent(at, self.recent_s)
        posts = _top_eligible(self.index, user, pool, self.index.popularity.scores(pool, at), k)
        return _ids(self.index, posts)


class Oracle:
    """Ranks in-network and recent posts by the hidden expected engagement: the ceiling, for reports only."""

    name: str = "oracle"
    version: str | None = None
    explored: Explored | None = None

    def __init__(self, context: PolicyContext) -> None:
        self.index, self.truth = context.index, context.truth
        self.behaviour, self.recent_s = context.behaviour, context.recent_s

    def rank(self, user_id: int, now: datetime, k: int) -> list[int]:
        user, at = self.index.user_index(user_id), now.timestamp()
        recent = self.index.recent(at, self.recent_s)
        older = self.index.in_network(user, at)
        pool = np.concatenate((older[older < recent[0]] if len(recent) else older, recent))
        value = expected_value(self.truth, self.index, self.behaviour, user, pool, at)
        posts = _top_eligible(self.index, user, pool, value, k)
        return _ids(self.index, posts)


POLICIES: dict[str, PolicyFactory] = {"chronological": Chronological, "popular": Popular, "oracle": Oracle}
PENDING_POLICIES = {
    "model": "no trained model is registered yet: train and register a ranker before simulating with it"
}


def register_policy(name: str, factory: PolicyFactory) -> None:
    """Make `name` available (replacing an earlier registration), e.g. `model` from the composition root."""
    POLICIES[name] = factory


def make_policy(name: str, context: PolicyContext) -> Policy:
    check_policy(name)
    return POLICIES[name](context)


def check_policy(name: str) -> None:
    if name in POLICIES:
        return
    if name in PENDING_POLICIES:
        raise SimulationError(f"policy {name!r} is not available: {PENDING_POLICIES[name]}")
    raise SimulationError(f"unknown policy {name!r}; choose from {', '.join(POLICIES)}")


def expected_value(
    truth: Truth,
    index: FeedIndex,
    cfg: BehaviourConfig,
    user: int,
    posts: np.ndarray,
    now: float,
    positions: np.ndarray | None = None,
) -> np.ndarray:
    """Hidden expected engagement of each post for `user` at `now` (at position 0 unless given)."""
    if len(posts) == 0:
        return np.zeros(0)
    exposure = index.exposure(user, posts, now, positions)
    return behaviour.expected_engagement(behaviour.probabilities(truth, exposure, cfg))


def _ids(index: FeedIndex, posts: list[int]) -> list[int]:
    ids: list[int] = index.post_ids[posts].tolist()
    return ids


def _top_eligible(index: FeedIndex, user: int, pool: np.ndarray, score: np.ndarray, k: int) -> list[int]:
    """The k best-scored eligible posts; sorts only a head of the pool unless the filter empties it."""
    want = k + len(index.seen.get(user, ())) + len(index.hidden.get(user, ())) + 64
    if len(pool) > want:
        head = np.argpartition(-score, want)[:want]
        posts = index.eligible(user, pool[head[np.argsort(-score[head], kind="stable")]], k)
        if len(posts) == k:
            return posts
    return index.eligible(user, pool[np.argsort(-score, kind="stable")], k)

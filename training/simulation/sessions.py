"""Simulated users open their feed through a `Policy`, scroll, and act by the hidden behaviour model.

Sessions are drawn first (users by their hidden activity, times over days 1..D−1 with the diurnal
rhythm), so every policy run with the same seed sees the same users at the same times; they are then
played in time order, each seeing only posts created before it. Impressions and actions go to the
database in bulk every `flush_every` sessions. On a spread-out sample of sessions the oracle's feed is
also evaluated (not shown), so the report can say how close the policy gets to the ceiling.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from ranking.selectors.exploration import Explored
from social_core.models import Comment
from training.simulation import behaviour, vocabulary
from training.simulation.behaviour import ACTIONS, ENGAGEMENTS, BehaviourConfig
from training.simulation.errors import SimulationError
from training.simulation.index import FeedIndex, load_index
from training.simulation.policies import Oracle, Policy, PolicyContext, check_policy, expected_value, make_policy
from training.simulation.progress import Progress, no_progress
from training.simulation.session_log import SessionLog
from training.simulation.truth import Truth, load_truth
from training.simulation.world import DAY, sample_times

BLOCK = 128  # sessions ranked one by one, then acted out together


@dataclass(frozen=True)
class SessionConfig:
    sessions: int = 1_000
    policy: str = "chronological"
    seed: int = 0
    page_size: int = 10  # posts served per session; the user scrolls through a prefix of them
    recent_days: float = 2.0  # out-of-network pool of `popular` and `oracle`
    half_life_hours: float = 12.0  # popularity decay of `popular`
    oracle_sessions: int = 1_000  # sessions (spread evenly) on which the oracle is evaluated too; 0: none
    flush_every: int = 2_000  # sessions per write transaction
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)


@dataclass
class SessionReport:
    policy: str
    sessions: int = 0
    impressions: int = 0
    actions: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    events: int = 0
    seconds: float = 0.0
    oracle_sessions: int = 0
    expected: float = 0.0  # the policy's hidden expected engagement, summed over the oracle sessions
    oracle_expected: float = 0.0  # the oracle's, on the same sessions (same users, times and state)

    @property
    def engagement(self) -> int:
        return sum(self.actions[name] for name in ENGAGEMENTS)

    @property
    def engagement_per_session(self) -> float:
        return self.engagement / max(self.sessions, 1)

    @property
    def hides_per_session(self) -> float:
        return self.actions["hide"] / max(self.sessions, 1)

    @property
    def like_rate(self) -> float:
        return self.actions["like"] / max(self.impressions, 1)

    @property
    def oracle_ratio(self) -> float | None:
        return self.expected / self.oracle_expected if self.oracle_expected > 0 else None

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        derived = ("engagement_per_session", "hides_per_session", "like_rate", "oracle_ratio", "events_per_second")
        return asdict(self) | {name: getattr(self, name) for name in derived}


@dataclass(frozen=True)
class SessionPlan:
    users: np.ndarray  # world user index per session, in time order
    times: np.ndarray  # epoch seconds, ascending
    request_ids: list[str]
    evaluate: np.ndarray  # bool: evaluate the oracle on this session


def plan_sessions(rng: np.random.Generator, truth: Truth, config: SessionConfig) -> SessionPlan:
    days = truth.config.days
    times = np.sort(sample_times(rng, config.sessions, truth.start, 1 if days > 1 else 0, days))
    users = rng.choice(truth.n_users, size=config.sessions, p=truth.activity / truth.activity.sum())
    request_ids = [f"{value:016x}" for value in rng.integers(0, 2**63, config.sessions).tolist()]
    evaluate = np.zeros(config.sessions, dtype=bool)
    if config.oracle_sessions > 0:
        evaluate[np.linspace(0, config.sessions - 1, min(config.oracle_sessions, config.sessions)).astype(int)] = True
    return SessionPlan(users, times, request_ids, evaluate)


def run_sessions(engine: Engine, home: Path, config: SessionConfig, progress: Progress = no_progress) -> SessionReport:
    """Play `config.sessions` sessions of `config.policy` against the world seeded under `home`."""
    if config.sessions < 1 or config.page_size < 1 or config.flush_every < 1:
        raise SimulationError("sessions, page size and flush interval must be at least 1")
    check_policy(config.policy)
    truth = load_truth(home)
    if not inspect(engine).has_table("posts"):
        raise SimulationError("the database has no schema: seed the world into it first (`pixelrank seed`)")
    started = time.perf_counter()
    index = load_index(engine, truth, config.half_life_hours * 3600.0)
    context = PolicyContext(index, truth, config.behaviour, config.recent_days * DAY)
    with engine.connect() as conn:
        comments = conn.scalar(select(func.count()).select_from(Comment)) or 0
    simulator = _Simulator(config, truth, index, make_policy(config.policy, context), Oracle(context), comments)
    plan = plan_sessions(simulator.rng, truth, config)
    unflushed = 0
    for lo in range(0, config.sessions, BLOCK):
        hi = min(lo + BLOCK, config.sessions)
        simulator.block(plan, lo, hi)
        unflushed += hi - lo
        if unflushed >= config.flush_every or hi == config.sessions:
            with engine.begin() as conn:
                simulator.report.events += simulator.log.flush(conn)
            unflushed = 0
            progress("sessions", hi, config.sessions)
    simulator.report.seconds = time.perf_counter() - started
    return simulator.report


class _Simulator:
    """Ranks sessions one by one (each sees the state its predecessors left), then acts a block at once."""

    def __init__(
        self, config: SessionConfig, truth: Truth, index: FeedIndex, policy: Policy, oracle: Oracle, comments: int
    ) -> None:
        self.config, self.truth, self.index, self.policy, self.oracle = config, truth, index, policy, oracle
        self.rng = np.random.default_rng(config.seed)
        self.log = SessionLog(comment_counter=comments)
        self.report = SessionReport(policy=config.policy)
        self.reach = behaviour.reach(config.page_size, config.behaviour)
        self.drawn: dict[
            int, Explored
        ] = {}  # session → the policy's exploration draw, until its impressions are logged

    def block(self, plan: SessionPlan, lo: int, hi: int) -> None:
        pages = [(s, self._page(plan, s)) for s in range(lo, hi)]
        pages = [(s, viewed) for s, viewed in pages if len(viewed)]
        self.report.sessions += hi - lo
        if pages:
            self._act(plan, pages)

    def _page(self, plan: SessionPlan, s: int) -> np.ndarray:
        """Serve session s and return the posts its user scrolls past (marked seen at once)."""
        user, at = int(plan.users[s]), float(plan.times[s])
        now = datetime.fromtimestamp(at, UTC)
        self.index.popularity.advance(at)
        shown = self._served(self.policy, user, now)
        if self.policy.explored is not None:
            self.drawn[s] = self.policy.explored
        if plan.evaluate[s]:
            self.report.oracle_sessions += 1
            self.report.expected += self._expected(user, shown, at)
            self.report.oracle_expected += self._expected(user, self._served(self.oracle, user, now), at)
        viewed = shown[: behaviour.positions_viewed(self.rng, len(shown), self.config.behaviour)]
        self.index.seen[user].update(viewed.tolist())
        return viewed

    def _served(self, policy: Policy, user: int, now: datetime) -> np.ndarray:
        """The policy's page, keeping only what may be shown (a policy bug must not leak the future)."""
        posts = self.index.post_indices(policy.rank(int(self.index.user_ids[user]), now, self.config.page_size))
        ok = (self.index.post_at[posts] < now.timestamp()) & self.index.alive[posts]
        hidden = self.index.hidden.get(user, set())
        return np.array([p for p in posts[ok].tolist() if p not in hidden], dtype=np.int64)[: self.config.page_size]

    def _expected(self, user: int, posts: np.ndarray, at: float) -> float:
        positions = np.arange(len(posts))
        value = expected_value(self.truth, self.index, self.config.behaviour, user, posts, at, positions)
        return float((self.reach[: len(posts)] * value).sum())

    def _act(self, plan: SessionPlan, pages: list[tuple[int, np.ndarray]]) -> None:
        """Draw every viewed position's actions and dwell for a block of sessions, then log them."""
        lengths = np.array([len(viewed) for _, viewed in pages])
        sessions = np.repeat([s for s, _ in pages], lengths)
        posts = np.concatenate([viewed for _, viewed in pages])
        first = np.repeat(np.cumsum(lengths) - lengths, lengths)
        positions = np.arange(len(posts)) - first
        exposure = self.index.exposures(plan.users[sessions], posts, plan.times[sessions], positions)
        cfg = self.config.behaviour
        acted = behaviour.sample_actions(self.rng, behaviour.probabilities(self.truth, exposure, cfg))
        dwell = behaviour.dwell_seconds(self.rng, self.truth, exposure, acted, cfg)
        elapsed = np.cumsum(dwell) - dwell
        starts = plan.times[sessions] + elapsed - elapsed[first]
        acted_at = starts + dwell * (0.2 + 0.7 * self.rng.random(len(posts)))
        topics = self.truth.post_topic[posts[acted["comment"]]]
        comments = iter(vocabulary.comment_texts(self.rng, topics, self.truth.interests.shape[1]))
        kinds = np.stack([acted[kind] for kind in ACTIONS], axis=1).tolist()
        columns = zip(
            sessions.tolist(),
            posts.tolist(),
            positions.tolist(),
            exposure.followed.tolist(),
            (dwell * 1000).astype(int).tolist(),
            starts.tolist(),
            acted_at.tolist(),
            kinds,
            strict=True,
        )
        for s, post, position, followed, dwell_ms, start, action_at, flags in columns:
            payload = {
                "request_id": plan.request_ids[s],
                "position": position,
                "policy": self.policy.name,
                "model_version": self.policy.version,
                "source": "following" if followed else self.policy.name,
                "dwell_ms": dwell_ms,
            }
            if (drawn := self.drawn.get(s)) is not None:
                payload |= drawn.payload(int(self.index.post_ids[post]), position)
            actions = [kind for kind, flag in zip(ACTIONS, flags, strict=True) if flag]
            self._log(int(plan.users[s]), post, start, payload, actions, action_at, comments)
        self.report.impressions += len(posts)
        self.drawn.clear()

    def _log(
        self,
        user: int,
        post: int,
        at: float,
        payload: dict[str, Any],
        kinds: list[str],
        acted_at: float,
        comments: Iterator[str],
    ) -> None:
        """One viewed position: its impression, then its actions (a second like or save of a post is a no-op)."""
        index = self.index
        user_id, post_id = int(index.user_ids[user]), int(index.post_ids[post])
        author_id = int(index.user_ids[index.post_author[post]])
        self.log.impression(user_id, post_id, author_id, at, payload)
        done = {"like": index.liked, "save": index.saved}
        for kind in kinds:
            if (user, post) in done.get(kind, ()):
                continue
            text = next(comments) if kind == "comment" else ""
            self.log.action(kind, user_id, post_id, author_id, acted_at, text)
            index.record(kind, user, post, acted_at)
            self.report.actions[kind] += 1

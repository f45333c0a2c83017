"""Fixtures for the ranking stages: candidate factories, a small social world, fake features and models."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from candidates.types import NO_AUTHOR, CandidateQuery, Proposals
from features.schema import default, service_columns
from ranking.frame import Frame
from ranking.model import HEADS
from ranking.types import RankingContext, RankingRequest, ViewerFacts
from social_core.models import Block, Follow, Hide, Post, User

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
COLUMNS = service_columns("ranker_v1")


@dataclass
class Row:
    """One candidate as a test writes it; `frame_of` turns a list of them into the pipeline's `Frame`."""

    post_id: int
    author_id: int | None
    score: float = 0.0
    sources: dict[str, float] = field(default_factory=lambda: {"popular": 1.0})
    deleted: bool = False
    author_private: bool = False
    features: np.ndarray | None = None
    head: str = "like"


def cand(
    post_id: int, author_id: int | None, score: float = 0.0, sources: Mapping[str, float] | None = None, **kw: object
) -> Row:
    row = Row(post_id, author_id, score, dict(sources if sources is not None else {"popular": 1.0}))
    for name, value in kw.items():
        setattr(row, name, value)
    return row


def frame_of(rows: Sequence[Row]) -> Frame:
    names = tuple(dict.fromkeys(name for r in rows for name in r.sources))
    bits = [sum(1 << names.index(n) for n in r.sources) for r in rows]
    scores = [[r.sources.get(n, np.nan) for n in names] for r in rows]
    with_features = rows and all(r.features is not None for r in rows)
    heads = tuple(dict.fromkeys(["like", *HEADS, *(r.head for r in rows)]))
    return Frame(
        names,
        np.array([r.post_id for r in rows], dtype=np.int64),
        np.array([NO_AUTHOR if r.author_id is None else r.author_id for r in rows], dtype=np.int64),
        np.array(bits, dtype=np.int64),
        np.array(scores, dtype=np.float64).reshape(len(rows), len(names)),
        deleted=np.array([r.deleted for r in rows], dtype=bool),
        author_private=np.array([r.author_private for r in rows], dtype=bool),
        features=np.stack([r.features for r in rows]) if with_features else np.zeros((0, 0)),  # type: ignore[misc]
        feature_columns=tuple(COLUMNS) if with_features else (),
        score=np.array([r.score for r in rows], dtype=np.float64),
        head=np.array([heads.index(r.head) for r in rows], dtype=np.int64),
        heads=heads,
    )


def context_for(viewer: ViewerFacts | None = None, **request: object) -> RankingContext:
    viewer = viewer or ViewerFacts(1)
    return RankingContext(RankingRequest(viewer.user_id, **request), NOW.timestamp(), viewer)  # type: ignore[arg-type]


def ids(candidates: Frame | Sequence[Row]) -> list[int]:
    if isinstance(candidates, Frame):
        return [int(p) for p in candidates.post_id.tolist()]
    return [c.post_id for c in candidates]


def feature_row(values: Mapping[str, float] | None = None) -> np.ndarray:
    """One `ranker_v1` row: the schema defaults, with `values` set by name."""
    row = np.array([default(c) for c in COLUMNS])
    for name, value in (values or {}).items():
        row[COLUMNS.index(name)] = value
    return row


@dataclass
class FakeFeatures:
    """Stands in for `features.hydrate.Hydrator`: per-post feature values by name, defaults elsewhere."""

    by_post: dict[int, dict[str, float]] = field(default_factory=dict)
    fail: bool = False
    columns: list[str] = field(default_factory=lambda: list(COLUMNS))
    calls: list[list[int]] = field(default_factory=list)

    def __call__(
        self, user_id: int, post_ids: Sequence[int], author_ids: Sequence[int], request_ts: float | None = None
    ) -> np.ndarray:
        self.calls.append(list(post_ids))
        if self.fail:
            raise ConnectionError("online store down")
        return np.array([feature_row(self.by_post.get(p)) for p in post_ids]).reshape(len(post_ids), len(COLUMNS))


class FakeModel:
    """A logistic model on two features, every head; contributions are its linear terms."""

    heads: tuple[str, ...] = HEADS
    feature_names: tuple[str, ...] = ("post_engagement_rate", "ua_interactions_28d")
    version = "fake/7"

    def __init__(self, with_contributions: bool = True) -> None:
        self.with_contributions = with_contributions
        self.coef = np.array([20.0, 0.5])

    def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
        logit = features @ self.coef - 3.0
        like = 1.0 / (1.0 + np.exp(-logit))
        return {h: like * (0.2 if h == "hide" else 1.0 / (1 + i)) for i, h in enumerate(self.heads)}

    def contributions(self, features: np.ndarray, head: str) -> np.ndarray | None:
        return features * self.coef if self.with_contributions else None


def proposed(rows: Sequence[tuple[int, int | None, float]]) -> Proposals:
    """(post, author or None: unknown, score) rows of one source, best first."""
    authors = [NO_AUTHOR if author is None else author for _, author, _ in rows]
    return Proposals.of([post for post, _, _ in rows], authors, [score for _, _, score in rows])


@dataclass
class ListSource:
    name: str
    items: Proposals
    queries: list[CandidateQuery] = field(default_factory=list)

    def __call__(self, query: CandidateQuery) -> Proposals:
        self.queries.append(query)
        return self.items


# The world: viewer 1. Authors by id: 2 alice (followed), 3 bob (private, followed), 4 carol (private,
# not followed), 5 dave (blocked by the viewer), 6 erin (blocks the viewer), 7 frank and 8 gina (strangers;
# the viewer hid 701 once, and three of gina's posts). Posts: 100·author + n, n = 1..3; 702 is deleted.
NAMES = {1: "viewer", 2: "alice", 3: "bob", 4: "carol", 5: "dave", 6: "erin", 7: "frank", 8: "gina"}
PRIVATE = {3, 4}


def post(author: int, n: int) -> int:
    return 100 * author + n


@pytest.fixture
def world(engine: Engine) -> Engine:
    at = NOW - timedelta(days=1)
    users = [
        {"id": i, "username": n, "email": f"{n}@example.com", "password_hash": "x", "is_private": i in PRIVATE}
        for i, n in NAMES.items()
    ]
    posts = [
        {"id": post(a, n), "author_id": a, "created_at": at, "deleted_at": NOW if post(a, n) == 702 else None}
        for a in NAMES
        for n in (1, 2, 3)
    ]
    hides = [{"user_id": 1, "post_id": p, "author_id": p // 100, "created_at": at} for p in (701, 801, 802, 803)]
    with engine.begin() as conn:
        conn.execute(insert(User), [{**u, "created_at": at} for u in users])
        conn.execute(insert(Follow), [{"follower_id": 1, "followee_id": b, "created_at": at} for b in (2, 3)])
        conn.execute(insert(Block), [{"blocker_id": a, "blocked_id": b, "created_at": at} for a, b in ((1, 5), (6, 1))])
        conn.execute(insert(Post), posts)
        conn.execute(insert(Hide), hides)
    return engine


def every_post() -> Proposals:
    """Each world post as a `following` proposal, the author left unknown as a fan-out entry leaves it."""
    return proposed([(post(a, n), None, float(n)) for a in NAMES for n in (1, 2, 3)])

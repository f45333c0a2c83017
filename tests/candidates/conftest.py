"""A small hand-made world for the candidate sources, written straight into the `engine` database."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import fakeredis
import pytest
import torch
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from social_core.models import Follow, Like, Post, Save, User

NOW = datetime(2026, 1, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)


@pytest.fixture
def redis() -> Iterator[fakeredis.FakeRedis]:
    client = fakeredis.FakeRedis()
    yield client
    client.flushall()


@dataclass
class SmallWorld:
    """viewer 1 follows 2, 3 (a celebrity) and 6; 4 and 5 are strangers. Posts: 1000 + author*10 + n."""

    engine: Engine
    now: datetime = NOW

    @property
    def now_ts(self) -> float:
        return self.now.timestamp()


def hours_ago(hours: float) -> datetime:
    return NOW - timedelta(hours=hours)


def post_id(author: int, n: int) -> int:
    return 1000 + author * 10 + n


def write_small_world(engine: Engine) -> SmallWorld:
    users = [
        {
            "id": i,
            "username": f"user{i}",
            "email": f"user{i}@example.com",
            "password_hash": "x",
            "followers_count": 20_000 if i == 3 else 1,
            "created_at": hours_ago(1000),
        }
        for i in range(1, 7)
    ]
    follows = [{"follower_id": 1, "followee_id": b, "created_at": hours_ago(500)} for b in (2, 3, 6)]
    follows += [{"follower_id": 2, "followee_id": 4, "created_at": hours_ago(500)}]
    posts = [
        {
            "id": post_id(a, n),
            "author_id": a,
            "caption": f"post {n} by {a} #topic{a % 2}",
            "created_at": hours_ago(10 * n + a),
        }
        for a in range(1, 7)
        for n in range(1, 4)
    ]
    likes = [
        (2, post_id(4, 1), 2),
        (6, post_id(4, 1), 3),
        (2, post_id(5, 2), 4),  # friends' likes: social proof
        (1, post_id(5, 3), 20),
        (1, post_id(5, 2), 21),  # the viewer likes 5's posts: fresh
        *[(u, post_id(4, 2), 1) for u in (2, 3, 5, 6)],  # 4's second post trends
    ]
    with engine.begin() as conn:
        conn.execute(insert(User), users)
        conn.execute(insert(Follow), follows)
        conn.execute(insert(Post), posts)
        conn.execute(insert(Like), [{"user_id": u, "post_id": p, "created_at": hours_ago(h)} for u, p, h in likes])
        conn.execute(insert(Save), [{"user_id": 1, "post_id": post_id(6, 1), "created_at": hours_ago(5)}])
    return SmallWorld(engine)


@pytest.fixture
def small_world(engine: Engine) -> SmallWorld:
    return write_small_world(engine)

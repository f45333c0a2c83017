from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import redis as redis_lib
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from candidates import fanout
from candidates.fanout import FanoutConfig, fan_out, feed_key, posts_key
from candidates.feed_relay import FeedFanout
from candidates.sources.following import FollowingSource
from candidates.types import CandidateQuery
from social_core import outbox
from social_core.models import Event, Follow, Post, User
from social_core.relay import Relay
from tests.conftest import REDIS_URL, need_service


@pytest.fixture
def real_redis() -> Iterator[redis_lib.Redis]:
    need_service("redis", bool(REDIS_URL))
    client = redis_lib.Redis.from_url(REDIS_URL or "")
    yield client
    client.close()


@pytest.fixture
def base() -> int:
    """User ids unique to this test, so it shares a Redis with others safely; their keys are deleted after."""
    return secrets.randbelow(10**9) * 1000 + 10**12


def cleanup(client: redis_lib.Redis, base: int) -> None:
    """Delete exactly this test's keys (users base..base+99), nothing else on the shared server."""
    client.delete(*[key(base + i) for i in range(100) for key in (feed_key, posts_key)])


def members(client: redis_lib.Redis, key: str) -> list[int]:
    return [int(m) for m in client.zrevrange(key, 0, -1)]


@pytest.mark.parametrize("method", ["lua", "pipeline"])
def test_fan_out_pushes_to_followers_newest_first_and_caps(real_redis: redis_lib.Redis, base: int, method: str) -> None:
    followers = [base + i for i in range(1, 51)]
    config = FanoutConfig(feed_cap=3, chunk=20, method=method)  # type: ignore[arg-type]
    try:
        for n in range(5):
            assert fan_out(real_redis, 900 + n, base, 1000.0 + n, followers, False, config) == 50
        fan_out(real_redis, 904, base, 1004.0, followers, False, config)  # replayed: idempotent
        assert members(real_redis, feed_key(base + 7)) == [904, 903, 902]
        assert members(real_redis, posts_key(base)) == [904, 903, 902, 901, 900]
    finally:
        cleanup(real_redis, base)


def test_celebrity_posts_stay_in_the_author_set_and_are_pulled_at_read_time(
    real_redis: redis_lib.Redis, base: int, engine: Engine
) -> None:
    viewer, friend, star = base + 1, base + 2, base + 3
    write_users(engine, [viewer, friend, star], followers={star: 50_000})
    write_follows(engine, [(viewer, friend), (viewer, star)])
    try:
        config = FanoutConfig(celebrity_threshold=10_000)
        assert fan_out(real_redis, 501, star, 2000.0, [viewer], fanout.is_celebrity(50_000, config), config) == 0
        fan_out(real_redis, 502, friend, 1500.0, [viewer], False, config)
        assert members(real_redis, feed_key(viewer)) == [502]
        found = FollowingSource(real_redis, engine)(CandidateQuery(user_id=viewer, now_ts=3000.0))
        assert found.post_id.tolist() == [501, 502]
    finally:
        cleanup(real_redis, base)


def test_unfollow_block_and_deletion_remove_feed_entries(
    real_redis: redis_lib.Redis, base: int, engine: Engine
) -> None:
    viewer, a, b = base + 1, base + 2, base + 3
    write_users(engine, [viewer, a, b])
    write_follows(engine, [(viewer, a), (viewer, b), (b, viewer)])
    write_posts(engine, [(11, a, 11.0), (12, a, 12.0), (21, b, 21.0), (31, viewer, 31.0)])
    source = FollowingSource(real_redis, engine)

    def feed(user: int) -> list[int]:
        return [int(p) for p in source(CandidateQuery(user_id=user, now_ts=100.0)).post_id.tolist()]

    try:
        assert feed(viewer) == [21, 12, 11] and feed(b) == [31]  # rebuilt from the database
        unfollow_in_db(engine, viewer, a)
        relay_events(engine, real_redis, [("unfollow", viewer, a, None)])
        assert feed(viewer) == [21]
        unfollow_in_db(engine, viewer, b)
        unfollow_in_db(engine, b, viewer)
        relay_events(engine, real_redis, [("block", viewer, b, None)])
        assert feed(viewer) == [] and feed(b) == []  # both sides
        write_follows(engine, [(b, a)])
        relay_events(engine, real_redis, [("follow", b, a, None)])
        assert feed(b) == [12, 11]
        write_posts(engine, [(41, a, 41.0)])
        relay_events(engine, real_redis, [("post_created", a, None, 41)])
        assert feed(b) == [41, 12, 11]
        relay_events(engine, real_redis, [("post_deleted", a, None, 41)])
        assert feed(b) == [12, 11] and 41 not in members(real_redis, posts_key(a))
    finally:
        cleanup(real_redis, base)


def test_the_relay_applies_feed_events_and_marks_them(real_redis: redis_lib.Redis, base: int, engine: Engine) -> None:
    viewer, author = base + 1, base + 2
    write_users(engine, [viewer, author])
    write_follows(engine, [(viewer, author)])
    try:
        assert relay_events(engine, real_redis, [("post_created", author, author, 77)]) == 1
        assert members(real_redis, feed_key(viewer)) == [77]
    finally:
        cleanup(real_redis, base)


def test_a_redis_outage_leaves_events_unprocessed_for_a_retry(
    real_redis: redis_lib.Redis, base: int, engine: Engine
) -> None:
    viewer, author = base + 1, base + 2
    write_users(engine, [viewer, author])
    write_follows(engine, [(viewer, author)])
    down = redis_lib.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    try:
        assert relay_events(engine, down, [("post_created", author, author, 77)]) == 0
        with Session(engine) as session:
            pending = session.scalars(select(Event).where(Event.processed_at.is_(None))).all()
            assert [e.type for e in pending] == ["post_created"]
        assert relay_events(engine, real_redis, []) == 1  # Redis is back: the same event goes through
        assert members(real_redis, feed_key(viewer)) == [77]
    finally:
        cleanup(real_redis, base)


def relay_events(engine: Engine, client: redis_lib.Redis, events: list[tuple[str, int, int | None, int | None]]) -> int:
    """Write (type, actor, target, post) events to the outbox, then run one relay pass with `FeedFanout`."""
    sessions = sessionmaker(engine)
    with sessions() as session:
        for kind, actor, target, post in events:
            outbox.emit(
                session, kind, actor_id=actor, target_id=target, post_id=post, now=datetime.fromtimestamp(50, UTC)
            )
        session.commit()
    return Relay(sessions, [FeedFanout(client)]).drain()


def unfollow_in_db(engine: Engine, follower: int, followee: int) -> None:
    with engine.begin() as conn:
        conn.execute(delete(Follow).where(Follow.follower_id == follower, Follow.followee_id == followee))


def write_posts(engine: Engine, rows: list[tuple[int, int, float]]) -> None:
    with engine.begin() as conn:
        conn.execute(
            insert(Post),
            [
                {"id": p, "author_id": a, "caption": "", "created_at": datetime.fromtimestamp(ts, UTC)}
                for p, a, ts in rows
            ],
        )


def write_users(engine: Engine, ids: list[int], followers: dict[int, int] | None = None) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    rows = [
        {
            "id": i,
            "username": f"u{i}",
            "email": f"u{i}@example.com",
            "password_hash": "x",
            "followers_count": (followers or {}).get(i, 1),
            "created_at": at,
        }
        for i in ids
    ]
    with engine.begin() as conn:
        conn.execute(insert(User), rows)


def write_follows(engine: Engine, pairs: list[tuple[int, int]]) -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(insert(Follow), [{"follower_id": a, "followee_id": b, "created_at": at} for a, b in pairs])

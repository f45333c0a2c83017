"""`SeenStore` on fakeredis and on a real Redis (REDIS_URL), with a private key prefix."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import fakeredis
import pytest
import redis

from ranking.seen import SeenConfig, SeenStore
from tests.conftest import REDIS_URL, need_service


@pytest.fixture(params=["fakeredis", "redis"])
def client(request: pytest.FixtureRequest) -> Iterator[Any]:
    if request.param == "fakeredis":
        yield fakeredis.FakeRedis()
        return
    need_service("redis", bool(REDIS_URL))
    real = redis.Redis.from_url(REDIS_URL or "")
    yield real
    real.close()


@pytest.fixture
def store(client: Any) -> Iterator[SeenStore]:
    store = SeenStore(client, SeenConfig(keep=4, ttl_s=60, prefix=f"test:seen:{uuid.uuid4().hex}:"))
    yield store
    client.delete(store.key(1), store.key(2))


def test_keeps_the_last_n_newest_first(store: SeenStore) -> None:
    store.record(1, [10], ts=100.0)
    store.record(1, [11], ts=101.0)
    store.record(1, [12], ts=102.0)
    store.record(1, [13, 14], ts=103.0)
    recent = store.recent(1)
    assert len(recent) == 4 and set(recent) == {11, 12, 13, 14}  # 10, the oldest, was evicted
    assert recent[2:] == [12, 11]
    assert set(store.recent(1, 2)) == {13, 14}
    assert store.recent(2) == [] and store.recent(1, 0) == []


def test_a_repeat_impression_becomes_the_newest(store: SeenStore) -> None:
    store.record(1, [10], ts=100.0)
    store.record(1, [11, 12, 13], ts=101.0)
    store.record(1, [10], ts=102.0)
    store.record(1, [14], ts=103.0)  # evicts the oldest: one of 11..13, never 10
    assert store.recent(1)[:2] == [14, 10]
    assert 10 in store.recent(1) and len(store.recent(1)) == 4


def test_users_are_separate_and_keys_expire(store: SeenStore, client: Any) -> None:
    store.record(1, [10], ts=100.0)
    store.record(2, [], ts=100.0)
    assert store.recent(2) == []
    assert 0 < client.ttl(store.key(1)) <= 60

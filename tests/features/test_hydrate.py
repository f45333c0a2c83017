"""`Hydrator` returns exactly what stock `get_online_features` returns, on both online stores."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from feast import FeatureStore
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value
from sqlalchemy import text

from features.hydrate import Hydrator, HydratorConfig
from features.online_keys import KeyCodec
from features.online_readers import reader_for
from features.schema import default, service_columns
from features.stock import stock_features
from features.stream.push import push_events
from social_core.db import make_engine
from tests.features.conftest import BuiltWorld


def _candidates(built_world: BuiltWorld, n: int) -> tuple[list[int], list[int]]:
    engine = make_engine(built_world.db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, author_id FROM posts ORDER BY id DESC LIMIT :n"), {"n": n}).all()
    engine.dispose()
    return [int(r[0]) for r in rows], [int(r[1]) for r in rows]


def test_hydrate_equals_stock_get_online_features(store: FeatureStore, built_world: BuiltWorld) -> None:
    posts, authors = _candidates(built_world, 120)
    posts += [999, 12345]  # unknown posts, unknown author
    authors += [authors[0], 424242]
    hydrator = Hydrator.from_store(store)
    now = built_world.report.as_of.timestamp() + 60  # type: ignore[union-attr]
    for user in (1, 17, 60, 10**9):
        expected = stock_features(store, "ranker_v1", user, posts, authors, now)
        got = hydrator(user, posts, authors, now)
        np.testing.assert_array_equal(got, expected)
        assert got.shape == (len(posts), len(service_columns("ranker_v1")))
    assert (expected[:, service_columns("ranker_v1").index("post_likes_total")] > 0).any()  # not all defaults


def test_two_tower_service_too(store: FeatureStore, built_world: BuiltWorld) -> None:
    posts, authors = _candidates(built_world, 30)
    hydrator = Hydrator.from_store(store, HydratorConfig(service="two_tower_v1"))
    expected = stock_features(store, "two_tower_v1", 5, posts, authors, 1.8e9)
    np.testing.assert_array_equal(hydrator(5, posts, authors, 1.8e9), expected)


def test_unknown_ids_and_no_candidates_give_defaults_never_errors(store: FeatureStore) -> None:
    hydrator = Hydrator.from_store(store)
    got = hydrator(-1, [-5, 0, 2**62], [-7, 0, 2**62], 1.8e9)
    defaults = np.array([default(c) for c in service_columns("ranker_v1")])
    np.testing.assert_array_equal(got, np.tile(defaults, (3, 1)))
    assert hydrator(1, [], [], 1.8e9).shape == (0, len(defaults))
    with pytest.raises(ValueError):
        hydrator(1, [1, 2], [1], 1.8e9)


def test_cached_rows_expire_and_counters_stay_fresh_within_their_ttl(store: FeatureStore) -> None:
    clock = [0.0]
    config = HydratorConfig(cache_ttl_s=5.0, counter_ttl_s=1.0)
    hydrator = Hydrator(reader_for(store.config), config, clock=lambda: clock[0])
    hydrator(1, [10], [2], 1.8e9)
    assert 1 in hydrator.caches["user_engagement"] and (1, 2) in hydrator.caches["user_author"]
    _, missed = hydrator.caches["user_engagement"].get([1])
    assert not missed.any()
    clock[0] = 2.0  # counters (1 s) are read again, the user row (5 s) is not
    assert hydrator.caches["post_stats"].get([10])[1].all() and not hydrator.caches["user_engagement"].get([1])[1].any()
    clock[0] = 6.0
    assert hydrator.caches["user_engagement"].get([1])[1].all()
    assert all(config.ttl(view) > 0 for view in hydrator.reads)
    assert all(HydratorConfig(cache_ttl_s=0).ttl(view) == 0 for view in hydrator.reads)


def test_a_cached_row_is_served_until_it_expires(store: FeatureStore) -> None:
    """The cache really answers: a row changed behind its back shows only after the ttl."""
    clock = [0.0]
    hydrator = Hydrator(reader_for(store.config), HydratorConfig(counter_ttl_s=1.0), clock=lambda: clock[0])
    likes = service_columns("ranker_v1").index("post_likes_total")
    first = hydrator(1, [777_000_002], [4242], 1.8e9)[0, likes]
    push_events(store, [_like(10**12, 777_000_002, 4242)])
    assert hydrator(1, [777_000_002], [4242], 1.8e9)[0, likes] == first
    clock[0] = 1.5
    assert hydrator(1, [777_000_002], [4242], 1.8e9)[0, likes] == first + 1


def _like(event_id: int, post: int, author: int) -> dict[str, object]:
    return {
        "id": event_id,
        "type": "like",
        "actor_id": 99_999,
        "post_id": post,
        "target_id": author,
        "payload": {},
        "created_at": datetime(2030, 1, 1, tzinfo=UTC),
    }


def test_keys_are_feasts_own_bytes() -> None:
    for join_keys in (("post_id",), ("user_id", "author_id")):
        codec = KeyCodec(join_keys, b"proj")
        for values in ((5, 7), (2**62, -3), (0, 123_456_789)):
            values = values[: len(join_keys)]
            proto = EntityKey(join_keys=list(join_keys), entity_values=[Value(int64_val=v) for v in values])
            assert codec.one(*values) == serialize_entity_key(proto, entity_key_serialization_version=3) + b"proj"

"""`Hydrator` returns exactly what stock `get_online_features` returns, on both online stores."""

from __future__ import annotations

import numpy as np
import pytest
from feast import FeatureStore
from sqlalchemy import text

from features.hydrate import Hydrator, HydratorConfig
from features.schema import default, service_columns
from features.stock import stock_features
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


def test_cached_user_and_author_rows_expire(store: FeatureStore, built_world: BuiltWorld) -> None:
    clock = [0.0]
    hydrator = Hydrator.from_store(store, HydratorConfig(cache_ttl_s=5.0))
    hydrator.caches["user_engagement"].clock = lambda: clock[0]
    hydrator(1, [], [], 1.8e9)
    assert 1 in hydrator.caches["user_engagement"].rows
    _, misses = hydrator.caches["user_engagement"].split([1])
    assert misses == []
    clock[0] = 6.0
    _, misses = hydrator.caches["user_engagement"].split([1])
    assert misses == [1]

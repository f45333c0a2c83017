"""PIXELRANK_FEATURE_READER=stock: the feed reads through Feast's `get_online_features`, same matrix as the fast one."""

from __future__ import annotations

import numpy as np
import pytest
from feast import FeatureStore
from sqlalchemy import text

from features.store import FeatureStoreConfig
from serving.feed.features import OnlineFeatures, StockHydrator, StoreReader, TowerUserFeatures
from serving.settings import Settings
from social_core.db import make_engine
from tests.features.conftest import BuiltWorld, built_world, online_kind, store, store_config  # noqa: F401


def _keys(world: BuiltWorld) -> tuple[list[int], list[int], list[int]]:
    engine = make_engine(world.db_url)
    with engine.connect() as conn:
        posts = conn.execute(text("SELECT id, author_id FROM posts ORDER BY id DESC LIMIT 60")).all()
        users = conn.execute(text("SELECT DISTINCT actor_id FROM events WHERE type = 'like' LIMIT 3")).all()
    engine.dispose()
    return [int(u) for (u,) in users], [int(p) for p, _ in posts], [int(a) for _, a in posts]


def test_stock_reader_returns_the_fast_matrix(
    store: FeatureStore,  # noqa: F811 (a fixture)
    store_config: FeatureStoreConfig,  # noqa: F811
    built_world: BuiltWorld,  # noqa: F811
) -> None:
    users, posts, authors = _keys(built_world)
    assert built_world.report.as_of is not None
    now = built_world.report.as_of.timestamp() + 60
    fast = StoreReader(OnlineFeatures(store_config, "fast"))
    stock_features = OnlineFeatures(store_config, "stock")
    stock = StoreReader(stock_features)
    assert isinstance(stock_features.open("ranker_v1")[0], StockHydrator)
    assert stock.columns == fast.columns
    for user in users:
        expected = fast(user, posts, authors, now)
        assert not np.allclose(expected, expected[0])  # the rows differ: a real comparison, not defaults
        np.testing.assert_array_equal(stock(user, posts, authors, now), expected)


def test_stock_user_tower_features_match(
    store: FeatureStore,  # noqa: F811
    store_config: FeatureStoreConfig,  # noqa: F811
    built_world: BuiltWorld,  # noqa: F811
) -> None:
    users, _, _ = _keys(built_world)
    fast, stock = (
        TowerUserFeatures(OnlineFeatures(store_config)),
        TowerUserFeatures(OnlineFeatures(store_config, "stock")),
    )
    for user in users:
        expected = fast(user)
        assert expected is not None
        np.testing.assert_array_equal(stock(user), expected)


def test_feature_reader_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().feature_reader == "fast"
    monkeypatch.setenv("PIXELRANK_FEATURE_READER", "stock")
    assert Settings().feature_reader == "stock"
    monkeypatch.setenv("PIXELRANK_FEATURE_READER", "slow")
    with pytest.raises(ValueError):
        Settings()

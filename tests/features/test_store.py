"""One contract over both online stores: apply, materialize, read back what the batch wrote."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from feast import FeatureStore

from features.repo.views import parquet_path
from features.schema import SERVICES, VIEWS, service_columns
from features.store import FeatureStoreConfig, redis_connection_string, store_yaml
from tests.features.conftest import BuiltWorld


def test_yaml_is_sqlite_by_default_and_redis_with_a_url(tmp_path) -> None:
    sqlite = store_yaml(FeatureStoreConfig(home=tmp_path))
    assert sqlite["online_store"]["type"] == "sqlite" and sqlite["offline_store"] == {"type": "file"}
    redis = store_yaml(FeatureStoreConfig(home=tmp_path, redis_url="redis://:pw@cache:6380/3"))
    assert redis["online_store"] == {"type": "redis", "connection_string": "cache:6380,db=3,password=pw"}
    assert redis_connection_string("rediss://h/0") == "h:6379,db=0,ssl=true"
    assert yaml.safe_dump(sqlite)  # serialisable as written


def test_online_store_serves_the_latest_batch_row(store: FeatureStore, store_config: FeatureStoreConfig) -> None:
    posts = pd.read_parquet(parquet_path(store_config.data_dir, "post_stats"))
    latest = posts.sort_values("event_timestamp").groupby("post_id").tail(1).set_index("post_id")
    sample = latest.sample(20, random_state=0)
    features = [f"post_stats:{f}" for f in ("post_likes_total", "post_impressions_24h", "post_engagement_rate")]
    online = store.get_online_features(features=features, entity_rows=[{"post_id": int(p)} for p in sample.index])
    got = online.to_df().set_index("post_id")
    for name in ("post_likes_total", "post_impressions_24h", "post_engagement_rate"):
        assert got.loc[sample.index, name].tolist() == sample[name].tolist()


def test_feature_services_name_exactly_what_each_model_reads(store: FeatureStore) -> None:
    for name, selection in SERVICES.items():
        service = store.get_feature_service(name)
        got = {p.name: [f.name for f in p.features] for p in service.feature_view_projections}
        assert got == selection
        assert len(service_columns(name)) == len(set(service_columns(name)))
    assert {fv.name for fv in store.list_feature_views()} == set(VIEWS)


def test_unknown_entities_read_as_missing_not_errors(store: FeatureStore, built_world: BuiltWorld) -> None:
    online = store.get_online_features(features=["user_engagement:user_likes_7d"], entity_rows=[{"user_id": -5}])
    assert online.to_dict()["user_likes_7d"] == [None]


def test_a_relative_home_gives_absolute_paths(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Feast resolves relative file sources against the repo folder, so a relative home must not reach it.
    monkeypatch.chdir(tmp_path)
    config = FeatureStoreConfig(home=Path("var"))
    assert config.data_dir.is_absolute() and config.data_dir == tmp_path / "var" / "features" / "data"

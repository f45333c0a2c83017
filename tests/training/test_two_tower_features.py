"""The user tower's `two_tower_v1` features: point in time for training, online for serving, same values."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from feast import FeatureStore
from sqlalchemy import select

from candidates.two_tower.store import load_model
from candidates.two_tower.user_features import USER_FEATURES, UserFeatures
from features.hydrate import Hydrator, HydratorConfig
from features.store import FeatureStoreConfig
from social_core.db import make_engine
from social_core.models import Like
from tests.features.conftest import BuiltWorld, built_world, online_kind, store, store_config  # noqa: F401
from training.datasets.user_features import user_features_at
from training.two_tower import TwoTowerJobConfig, main

LIKES = USER_FEATURES.index("user_likes_28d")


def a_like(db_url: str) -> tuple[int, float]:
    engine = make_engine(db_url)
    with engine.connect() as conn:
        user_id, at = conn.execute(select(Like.user_id, Like.created_at).order_by(Like.created_at.desc())).first()  # type: ignore[misc]
    engine.dispose()
    return int(user_id), at.timestamp()


def test_training_features_never_see_the_engagement_itself(built_world: BuiltWorld, store: FeatureStore) -> None:  # noqa: F811
    user_id, liked_at = a_like(built_world.db_url)
    before, after = user_features_at(store, np.array([user_id, user_id]), np.array([liked_at, liked_at + 1.0]))
    assert before.shape == (len(USER_FEATURES),) and before.dtype == np.float32
    assert after[LIKES] >= before[LIKES] + 1  # the like counts only once it happened


def test_serving_reads_the_same_user_features_online(built_world: BuiltWorld, store: FeatureStore) -> None:  # noqa: F811
    user_id, _ = a_like(built_world.db_url)
    served = UserFeatures(Hydrator.from_store(store, HydratorConfig(service="two_tower_v1", cache_ttl_s=0)))(user_id)
    stock = store.get_online_features(
        features=[f"user_engagement:{name}" for name in USER_FEATURES], entity_rows=[{"user_id": user_id}]
    ).to_dict()
    assert served is not None
    assert served.tolist() == pytest.approx([float(stock[name][0]) for name in USER_FEATURES])


def test_user_features_read_through_any_service_that_holds_them(built_world: BuiltWorld, store: FeatureStore) -> None:  # noqa: F811
    user_id, _ = a_like(built_world.db_url)
    own, ranker = (
        UserFeatures(Hydrator.from_store(store, HydratorConfig(service=s))) for s in ("two_tower_v1", "ranker_v1")
    )
    assert own(user_id) is not None and own(user_id).tolist() == ranker(user_id).tolist()  # type: ignore[union-attr]
    lacking = Hydrator.from_store(store, HydratorConfig(service="two_tower_v1"))
    lacking.columns = [c for c in lacking.columns if c != "user_account_age_days"]
    with pytest.raises(ValueError, match="user_account_age_days"):
        UserFeatures(lacking)


@pytest.mark.slow  # trains a model and creates an MLflow store
@pytest.mark.parametrize("online_kind", ["sqlite"], indirect=True)
def test_the_job_feeds_the_user_tower_its_features(
    built_world: BuiltWorld,  # noqa: F811
    store_config: FeatureStoreConfig,  # noqa: F811
    store: FeatureStore,  # noqa: F811
    tmp_path: Path,
) -> None:
    defaults = TwoTowerJobConfig(home=tmp_path, database_url=built_world.db_url, version="v1", features=store_config)
    config = replace(
        defaults,
        tracking_uri=f"sqlite:///{tmp_path / 'mlflow.db'}",
        train=replace(defaults.train, epochs=1, batch_size=128),
    )
    result = main(config)
    assert load_model(result.folder).config.user_dense == len(USER_FEATURES)
    without = main(replace(config, version="v2", features=None))
    assert load_model(without.folder).config.user_dense == 0

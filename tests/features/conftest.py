"""A small seeded world (simulated users, posts, sessions), its batch features, and Feast stores over
both online stores (SQLite always; Redis when REDIS_URL is set, with a private project = key suffix)."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from feast import FeatureStore

from features.batch.pipeline import BatchConfig, BuildReport, build_features
from features.materialize import materialize
from features.store import FeatureStoreConfig, apply, open_store
from social_core.db import make_engine
from social_core.migrate import upgrade
from tests.conftest import REDIS_URL, need_service
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.world import WorldConfig

WORLD = WorldConfig(users=120, days=4, seed=7, celebrities=2, mean_following=10)


@dataclass(frozen=True)
class BuiltWorld:
    home: Path
    db_url: str
    report: BuildReport


@pytest.fixture(scope="session")
def built_world(tmp_path_factory: pytest.TempPathFactory) -> BuiltWorld:
    home = tmp_path_factory.mktemp("feature_world")
    db_url = f"sqlite:///{home / 'pixelrank.db'}"
    engine = make_engine(db_url)
    upgrade(engine)
    seed_world(engine, home, WORLD)
    run_sessions(engine, home, SessionConfig(sessions=500, oracle_sessions=0, seed=1))
    report = build_features(engine, BatchConfig(FeatureStoreConfig(home=home).data_dir))
    engine.dispose()
    return BuiltWorld(home, db_url, report)


def drop_redis_project(redis_url: str, project: str) -> None:
    """Delete only this project's keys (Feast appends the project to every key); never FLUSHALL."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"*{project}".encode(), count=1000))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture(params=["sqlite", "redis"])
def online_kind(request: pytest.FixtureRequest) -> str:
    if request.param == "redis":
        need_service("redis", bool(REDIS_URL))
    return str(request.param)


@pytest.fixture
def store_config(online_kind: str, built_world: BuiltWorld, tmp_path: Path) -> Iterator[FeatureStoreConfig]:
    project = f"pxt{uuid.uuid4().hex[:10]}"
    config = FeatureStoreConfig(home=tmp_path, redis_url=REDIS_URL if online_kind == "redis" else None, project=project)
    shutil.copytree(FeatureStoreConfig(home=built_world.home).data_dir, config.data_dir)
    yield config
    if config.redis_url:
        drop_redis_project(config.redis_url, project)


@pytest.fixture
def store(store_config: FeatureStoreConfig, built_world: BuiltWorld) -> FeatureStore:
    """Applied and fully materialized as of the world's build time."""
    feature_store = open_store(store_config)
    apply(feature_store, store_config)
    assert built_world.report.as_of is not None
    materialize(feature_store, built_world.report.as_of)
    return feature_store

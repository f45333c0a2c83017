"""Serving picks the registered two-tower champion, not merely the newest folder, and catches its index up."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import mlflow
import pytest
from sqlalchemy import insert
from sqlalchemy.engine import Engine

from serving.settings import Settings
from serving.two_tower import served_two_tower
from social_core.models import Post
from tests.candidates.conftest import SmallWorld, small_world  # noqa: F401  (the fixture)
from tests.candidates.test_runtime import write_version
from tests.mlflow_stores import store_uri, unique_name
from training.registry import register
from training.tracking import open_experiment


def log_version(tracking_uri: str, folder: Path) -> str:
    open_experiment(tracking_uri, "two-tower-serving-test")
    with mlflow.start_run() as run:
        mlflow.log_param("version", folder.name)
        mlflow.log_metric("test_recall_at_100", 0.5)
        mlflow.log_artifacts(str(folder), artifact_path="model")
    return str(run.info.run_id)


def test_the_champion_serves_and_catches_up_on_new_posts(
    small_world: SmallWorld,  # noqa: F811
    tmp_path: Path,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    engine: Engine = small_world.engine
    uri = store_uri("sqlite", request, tmp_path_factory)
    name = unique_name()
    champion = write_version(tmp_path, "20260101T000000", engine)
    write_version(tmp_path, "20260102T000000", engine)  # newer, but only a challenger
    decision = register(log_version(uri, champion), name, "test_recall_at_100", "h", client=mlflow.MlflowClient(uri))
    assert decision.promoted
    with engine.begin() as conn:
        at = datetime(2026, 1, 11, tzinfo=UTC)
        conn.execute(insert(Post), [{"id": 99_999, "author_id": 2, "caption": "after training", "created_at": at}])

    settings = Settings(home=tmp_path, mlflow_tracking_uri=uri, database_url=str(engine.url))
    runtime = served_two_tower(settings, engine, name)
    assert runtime is not None and runtime.version == "20260101T000000"
    assert runtime.index.newest_id() == 99_999 and len(runtime.index) == 19  # 18 trained on + the new one

    # No registry (mlflow.set_tracking_uri exported MLFLOW_TRACKING_URI: override it): the newest folder.
    unregistered = Settings(home=tmp_path, mlflow_tracking_uri=None, database_url=str(engine.url))
    fallback = served_two_tower(unregistered, engine, name)
    assert fallback is not None and fallback.version == "20260102T000000"

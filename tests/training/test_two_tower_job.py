from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import fakeredis
import mlflow
import mlflow.pyfunc
import numpy as np
import pytest
import torch
from sqlalchemy.engine import Engine

from candidates.fanout import FanoutConfig
from candidates.index import PostIndex
from candidates.sources.following import FollowingConfig, FollowingSource
from candidates.sources.popular import PopularSource
from candidates.sources.two_tower import TwoTowerSource
from candidates.two_tower.embed import embed_new_posts, embed_posts
from candidates.two_tower.model import TwoTower, TwoTowerConfig
from candidates.two_tower.store import load_model
from candidates.two_tower.task import TwoTowerTask
from candidates.two_tower.trainer import TrainConfig, fit
from features.catalogue import PostCatalogue
from social_core.db import make_engine
from social_core.migrate import upgrade
from training.datasets.engagement import load_engagement
from training.evaluation.retrieval import fill_feeds, future_targets, source_recall
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.world import DAY, WorldConfig
from training.two_tower import POST_EXAMPLE, TwoTowerJobConfig, main

WORLD = WorldConfig(users=200, days=6, seed=5, celebrities=2, mean_following=12)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Engine]:
    torch.set_num_threads(1)
    home = tmp_path_factory.mktemp("world")
    engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
    upgrade(engine)
    seed_world(engine, home, WORLD)
    run_sessions(engine, home, SessionConfig(sessions=1_500, policy="popular", oracle_sessions=0))
    return home, engine


@pytest.fixture(scope="module")
def tracking_uri(tmp_path_factory: pytest.TempPathFactory) -> str:
    """One MLflow SQLite store for the module (creating its tables takes seconds)."""
    return f"sqlite:///{tmp_path_factory.mktemp('mlflow') / 'mlflow.db'}"


@pytest.mark.slow  # creating the MLflow SQLite store alone takes tens of seconds
def test_the_job_logs_a_run_and_writes_model_and_index(
    world: tuple[Path, Engine], tmp_path: Path, tracking_uri: str
) -> None:
    _, engine = world
    defaults = TwoTowerJobConfig(home=tmp_path, database_url=str(engine.url), version="v1")
    config = replace(defaults, tracking_uri=tracking_uri, train=replace(defaults.train, epochs=2, batch_size=64))
    epochs: list[int] = []
    result = main(config, on_epoch=lambda epoch, _metrics: epochs.append(epoch))
    assert epochs and result.folder == tmp_path / "models" / "two_tower" / "v1"
    run = mlflow.MlflowClient(config.tracking_uri).get_run(result.run_id)
    assert "test_recall_at_100" in run.data.metrics and run.data.params["model.dim"] == "64"
    client = mlflow.MlflowClient(config.tracking_uri)
    assert "recall_at_k.png" in {a.path for a in client.list_artifacts(result.run_id)}
    run = client.get_run(result.run_id)
    logged = client.search_logged_models(experiment_ids=[run.info.experiment_id])
    assert [m.source_run_id for m in logged] == [result.run_id] and run.data.tags["feature_service"] == "two_tower_v1"
    encoder = mlflow.pyfunc.load_model(f"models:/{logged[0].model_id}")  # the signature's view: content in
    assert encoder.metadata.signature is not None
    embeddings = encoder.predict(POST_EXAMPLE)
    assert embeddings.shape == (2, 64)
    model, index = load_model(result.folder), PostIndex.load(result.folder / "index")
    vector = embed_new_posts(model, [{"id": 1, "author_id": 2, "caption": "Loving this #travel #wanderlust"}])
    index.add(np.array([1]), vector)
    assert index.search(vector, 1)[0][0, 0] == 1


def test_source_recall_on_a_simulated_world(world: tuple[Path, Engine]) -> None:
    _, engine = world
    cutoff = WORLD.start.timestamp() + 4 * DAY
    redis = fakeredis.FakeRedis()
    config = FanoutConfig(celebrity_threshold=50)
    assert fill_feeds(redis, engine, cutoff - 3 * DAY, cutoff, config) > 0
    targets = future_targets(engine, cutoff, 2 * DAY)
    assert targets
    data = load_engagement(engine, history=10)
    model = TwoTower.build(TwoTowerConfig(dim=16, embedding_dim=16, hidden=32, history=10))
    train = data.examples.subset(data.examples.timestamps <= cutoff)
    fit(TwoTowerTask(model), data.table, train, train.subset(np.arange(len(train)) % 10 == 0), TrainConfig(epochs=1))
    index = PostIndex.build(data.table.post_ids, embed_posts(model, data.table))
    sources = [
        FollowingSource(redis, engine, FollowingConfig(fanout=config)),
        PopularSource(engine),
        TwoTowerSource(model, index, engine, PostCatalogue(engine)),
    ]
    recall = source_recall(sources, dict(list(targets.items())[:30]), cutoff)
    assert set(recall) == {"following", "popular", "two_tower", "merged"}
    assert all(0.0 <= value <= 1.0 for values in recall.values() for value in values.values())
    assert recall["merged"]["all"] >= max(recall[name]["500"] for name in ("following", "popular", "two_tower"))

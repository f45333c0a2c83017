"""The ranker job and `pixelrank train` end to end on a tiny simulated world, logged to real MLflow stores."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import replace
from pathlib import Path

import mlflow
import numpy as np
import pytest
from typer.testing import CliRunner

from features.schema import service_columns
from ranking.models import load_ranker
from ranking.models.lightgbm import LightGBMRanker
from ranking.models.torch_mtl import TorchRanker
from serving.cli import app
from social_core.db import make_engine
from social_core.migrate import upgrade
from tests.mlflow_stores import store_uri
from training.ranker.dataset import RankerDataError
from training.ranker.job import HEADLINE, RankerJobConfig, main
from training.ranker.lightgbm_job import LightGBMConfig
from training.ranker.torch_job import TorchConfig
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.world import WorldConfig

WORLD = WorldConfig(users=150, days=4, seed=11, celebrities=2, mean_following=10)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A seeded world with ~5k logged impressions (a template: tests copy it)."""
    home = tmp_path_factory.mktemp("ranker_world")
    engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
    upgrade(engine)
    seed_world(engine, home, WORLD)
    run_sessions(engine, home, SessionConfig(sessions=2_500, oracle_sessions=0, seed=2))
    engine.dispose()
    return home


def copy_of(world: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    shutil.copytree(world, home)
    return home


def small(config: RankerJobConfig) -> RankerJobConfig:
    return replace(
        config,
        lightgbm=LightGBMConfig(rounds=60, early_stopping_rounds=10),
        torch=TorchConfig(epochs=3, expert_hidden=(16,)),
    )


@pytest.mark.parametrize(("family", "store"), [("lightgbm", "server"), ("torch", "sqlite")])
def test_the_job_logs_a_run_and_writes_a_loadable_model(
    family: str,
    store: str,
    world: Path,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    home = copy_of(world, tmp_path)
    uri = store_uri(store, request, tmp_path_factory)
    config = RankerJobConfig(home=home, database_url=f"sqlite:///{home / 'pixelrank.db'}", tracking_uri=uri)
    config = small(replace(config, model=family, version=f"v-{family}", experiment=f"ranker-test-{family}"))
    stages: set[str] = set()
    result = main(config, lambda stage, done, total: stages.add(stage))

    assert result.folder == home / "models" / "ranker" / f"v-{family}"
    assert not list((home / "models" / "ranker").glob("*.partial"))
    model = load_ranker(result.folder)
    assert isinstance(model, {"lightgbm": LightGBMRanker, "torch": TorchRanker}[family])
    assert (
        "like" in model.heads
        and model.heads == result.heads
        and model.feature_names == tuple(service_columns("ranker_v1"))
    )
    assert {"features", {"lightgbm": "lightgbm like", "torch": "torch"}[family]} <= stages

    client = mlflow.MlflowClient(uri)
    run = client.get_run(result.run_id)
    assert run.data.tags["feature_service"] == "ranker_v1" and run.data.tags["holdout_id"] == result.holdout_id
    assert result.ndcg_at_10 is not None and run.data.metrics[HEADLINE] == pytest.approx(result.ndcg_at_10)
    assert 0 < result.ndcg_at_10 <= 1 and 0 < run.data.metrics["test_auc_like"] < 1  # learning: test_ranker_training
    assert {"test_logloss_like", "test_ece_like", "test_ndcg_at_10_logged"} <= set(run.data.metrics)
    assert run.data.params[f"{family}.seed"] == "0" and int(run.data.params["test_rows"]) == result.sizes["test_rows"]
    artifacts = {item.path for item in client.list_artifacts(result.run_id)}
    assert {"calibration.json", "feature_importance.json", "feature_importance.png", "reliability.png"} <= artifacts
    logged = client.search_logged_models(experiment_ids=[run.info.experiment_id])
    assert [m.source_run_id for m in logged] == [result.run_id]
    assert set(result.importance) == set(model.feature_names)


def test_reusing_features_and_refusing_bad_input(
    world: Path, tmp_path: Path, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = copy_of(world, tmp_path)
    config = RankerJobConfig(
        home=home,
        database_url=f"sqlite:///{home / 'pixelrank.db'}",
        tracking_uri=store_uri("sqlite", request, tmp_path_factory),
        build_features=False,
        version="again",
        registered_model=f"ranker-gate-{uuid.uuid4().hex[:8]}",
    )
    with pytest.raises(RankerDataError, match="pixelrank features build"):
        main(small(config))
    first = main(small(replace(config, build_features=True)))
    with pytest.raises(RankerDataError, match="already exists"):
        main(small(config))
    second = main(small(replace(config, version="again-2", build_features=False)))  # features reused
    assert second.holdout_id == first.holdout_id and second.ndcg_at_10 == pytest.approx(first.ndcg_at_10)
    assert first.decision is not None and first.decision.alias == "champion"  # the first version
    assert second.decision is not None and second.decision.alias == "challenger"  # a tie does not move it
    features = np.zeros((3, len(first.importance)))
    first_scores, second_scores = (
        load_ranker(first.folder).predict(features),
        load_ranker(second.folder).predict(features),
    )
    assert all(np.array_equal(first_scores[h], second_scores[h]) for h in first_scores)  # same data, same seed


def test_cli_train_all_then_a_one_line_error_on_an_empty_home(
    world: Path, tmp_path: Path, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> None:
    home = copy_of(world, tmp_path)
    env = {"PIXELRANK_HOME": str(home), "MLFLOW_TRACKING_URI": store_uri("sqlite", request, tmp_path_factory)}
    env |= {"DATABASE_URL": "", "REDIS_URL": ""}
    runner = CliRunner()
    result = runner.invoke(app, ["train", "all", "--epochs", "1", "--version", "cli"], env=env)
    assert result.exit_code == 0, result.output
    assert "test recall@K" in result.output and "NDCG@10" in result.output and "like" in result.output
    assert load_ranker(home / "models" / "ranker" / "cli").heads[0] == "like"
    assert (home / "models" / "two_tower" / "cli").is_dir()

    empty = tmp_path / "empty"
    empty.mkdir()
    upgrade(make_engine(f"sqlite:///{empty / 'pixelrank.db'}"))
    env["PIXELRANK_HOME"] = str(empty)
    failed = runner.invoke(app, ["train", "ranker", "--model", "torch"], env=env)
    assert failed.exit_code == 2 and failed.output.strip().startswith("Error:") and "too few" in failed.output
    assert len(failed.output.strip().splitlines()) == 1
    assert not (empty / "models").exists()
    wrong = runner.invoke(app, ["train", "ranker", "--model", "xgboost"], env=env)
    assert wrong.exit_code == 2 and "xgboost" in wrong.output

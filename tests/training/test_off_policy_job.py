"""Off-policy evaluation end to end on a tiny world: the champion explores while simulated users scroll, the
logs carry propensities, and the next `train ranker` estimates both rankers on them, logs the estimates to
MLflow and gates on them; `pixelrank models compare` prints them side by side."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import mlflow
import numpy as np
import pytest
from typer.testing import CliRunner

from features.schema import service_columns
from ranking.selectors.exploration import ExplorationConfig
from serving.cli import app
from serving.settings import Settings
from serving.simulation_policy import find_ranker, register_model_policy
from social_core.db import make_engine
from social_core.migrate import upgrade
from training.off_policy.logs import load_explored
from training.ranker.job import RankerJobConfig, main
from training.ranker.lightgbm_job import LightGBMConfig
from training.simulation.model_policy import ModelPolicyConfig
from training.simulation.policies import POLICIES
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.world import WorldConfig

WORLD = WorldConfig(users=150, days=4, seed=5, celebrities=2, mean_following=10)
EXPLORED = 500


@pytest.fixture(scope="module")
def explored_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """History, a champion trained on it, then EXPLORED sessions of the champion's feed, all explored."""
    home = tmp_path_factory.mktemp("off_policy_world")
    url = f"sqlite:///{home / 'pixelrank.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed_world(engine, home, WORLD)
    run_sessions(engine, home, SessionConfig(sessions=1_200, oracle_sessions=0, seed=2))
    champion = main(job(home, "v1"))
    assert champion.decision is not None and champion.decision.promoted
    settings = Settings(home=home, database_url=url, redis_url=None, mlflow_tracking_uri=tracking(home))
    exploration = ExplorationConfig(rate=1.0, temperature=1.0, slots=10, pool=20, seed=1)
    before = dict(POLICIES)
    try:
        register_model_policy(settings, engine, find_ranker(settings), ModelPolicyConfig(exploration=exploration))
        run_sessions(engine, home, SessionConfig(sessions=EXPLORED, policy="model", oracle_sessions=0, seed=3))
    finally:
        POLICIES.clear()  # other tests expect `model` unregistered until they register it
        POLICIES.update(before)
        engine.dispose()
    return home


def tracking(home: Path) -> str:
    return f"sqlite:///{home / 'mlflow.db'}"


def job(home: Path, version: str) -> RankerJobConfig:
    config = RankerJobConfig(
        home=home, database_url=f"sqlite:///{home / 'pixelrank.db'}", tracking_uri=tracking(home), version=version
    )
    return replace(config, lightgbm=LightGBMConfig(rounds=40, early_stopping_rounds=10))


def test_every_explored_session_is_logged_with_its_draw_and_propensities(explored_world: Path) -> None:
    engine = make_engine(f"sqlite:///{explored_world / 'pixelrank.db'}")
    try:
        logs = load_explored(engine, service_columns("ranker_v1"))
    finally:
        engine.dispose()
    assert 0.85 * EXPLORED <= len(logs) <= EXPLORED  # not: a session with an empty page or one candidate
    assert logs.pool.shape[1] == 20 and logs.slots == 10
    assert logs.viewed[:, 0].all()  # the first slot is always seen
    served = logs.shown >= 0
    assert ((logs.propensity > 0) & (logs.propensity <= 1))[served].all()
    # A shown item's chances of all the drawn slots sum to at most 1 (it might have stayed in the pool).
    assert ((logs.marginals.sum(axis=2) <= 1 + 1e-9) & (logs.marginals.sum(axis=2) >= logs.propensity))[served].all()
    assert np.isfinite(logs.features[logs.pool >= 0]).all()
    assert sum(int(v.sum()) for v in logs.labels.values()) > 0


def test_the_next_training_run_estimates_both_rankers_logs_them_and_gates_on_them(
    explored_world: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    shutil.copytree(explored_world, home)
    result = main(job(home, "v2"))
    report = result.off_policy
    assert report is not None and report.champion is not None
    assert report.requests >= 100  # explored requests among the validation and test ones
    for estimates in (report.new, report.champion):
        for e in estimates.values():
            assert e.low <= e.value <= e.high and e.ess > 0
    run = mlflow.MlflowClient(tracking(home)).get_run(result.run_id)
    assert {"ope_snips", "ope_snips_low", "ope_dr", "champion_ope_snips", "ope_requests"} <= set(run.data.metrics)
    artifacts = {item.path for item in mlflow.MlflowClient(tracking(home)).list_artifacts(result.run_id)}
    assert "off_policy.png" in artifacts
    decision = result.decision
    assert decision is not None
    if "beats" in decision.reason and "does not beat" not in decision.reason:
        assert "OPE snips lower bound" in decision.reason
        assert decision.promoted == (report.new["snips"].low >= report.champion["snips"].value)

    env = {"PIXELRANK_HOME": str(home), "MLFLOW_TRACKING_URI": tracking(home), "DATABASE_URL": ""}
    compared = CliRunner().invoke(app, ["models", "compare", "1", "2"], env=env)
    assert compared.exit_code == 0, compared.output
    assert (
        "test_ndcg_at_10" in compared.output and "snips" in compared.output and "explored requests" in compared.output
    )
    missing = CliRunner().invoke(app, ["models", "compare", "1", "9"], env=env)
    assert missing.exit_code != 0 and "no version" in missing.output

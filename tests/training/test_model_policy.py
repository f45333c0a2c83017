"""`pixelrank simulate --policy model`: simulated sessions served by the ranking pipeline over tiny trained models."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from features.batch.pipeline import BatchConfig, build_features
from features.schema import service_columns
from features.store import FeatureStoreConfig, apply, open_store
from features.training_set import build_training_set
from serving.cli import app
from social_core.db import make_engine
from social_core.migrate import upgrade
from social_core.models import Block, Event, Post
from training.ranker.job import RankerJobConfig
from training.ranker.job import main as train_ranker
from training.ranker.lightgbm_job import LightGBMConfig
from training.simulation.feature_replay import AsOfFeatures, AsOfReader
from training.simulation.policies import POLICIES
from training.simulation.seeding import seed_world
from training.simulation.sessions import SessionConfig, run_sessions
from training.simulation.truth import load_truth
from training.simulation.world import WorldConfig
from training.two_tower import TwoTowerJobConfig
from training.two_tower import main as train_two_tower

WORLD = WorldConfig(users=150, days=4, seed=11, celebrities=2, mean_following=10)


@pytest.fixture(autouse=True)
def _policy_registry() -> Iterator[None]:
    """`simulate --policy model` registers the policy process-wide; later tests expect it absent."""
    before = dict(POLICIES)
    yield
    POLICIES.clear()
    POLICIES.update(before)


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny world with logged sessions, batch features, a two-tower version and a registered LightGBM ranker."""
    home = tmp_path_factory.mktemp("model_policy_world")
    url = f"sqlite:///{home / 'pixelrank.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed_world(engine, home, WORLD)
    run_sessions(engine, home, SessionConfig(sessions=2_000, oracle_sessions=0, seed=2))
    store_config = FeatureStoreConfig(home=home)
    build_features(engine, BatchConfig(store_config.data_dir))
    apply(open_store(store_config), store_config)
    engine.dispose()
    tower = TwoTowerJobConfig(home=home, database_url=url, features=store_config, version="tiny")
    train_two_tower(replace(tower, train=replace(tower.train, epochs=1)))
    ranker = RankerJobConfig(home=home, database_url=url, build_features=False, version="tiny")
    train_ranker(replace(ranker, lightgbm=LightGBMConfig(rounds=30, early_stopping_rounds=5)))
    return home


@pytest.fixture
def home(trained: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private copy of the trained world, which the CLI's Settings point at."""
    copy = tmp_path / "home"
    shutil.copytree(trained, copy)
    monkeypatch.setenv("PIXELRANK_HOME", str(copy))
    for name in ("DATABASE_URL", "REDIS_URL", "MLFLOW_TRACKING_URI", "PIXELRANK_MLFLOW_TRACKING_URI"):
        monkeypatch.delenv(name, raising=False)
    return copy


def test_simulate_model_serves_eligible_posts_and_logs_positions_and_version(home: Path) -> None:
    engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
    with engine.connect() as conn:
        impressions = select(Event.actor_id, Event.post_id).where(Event.type == "impression")
        before = {(int(u or 0), int(p or 0)) for u, p in conn.execute(impressions)}
        authors: dict[int, int] = {int(p): int(a) for p, a in conn.execute(select(Post.id, Post.author_id))}
        last_event = conn.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
    truth = load_truth(home)
    # The most active user blocks the account whose posts they were shown most: a feed must never show it.
    active = int(truth.user_ids[int(np.argmax(truth.activity))])
    shown = [authors[p] for u, p in before if u == active and authors.get(p) != active]
    blocked = max(set(shown), key=shown.count)
    with engine.begin() as conn:
        conn.execute(insert(Block).values(blocker_id=active, blocked_id=blocked, created_at=truth.config.start))

    result = CliRunner().invoke(app, ["simulate", "--policy", "model", "--sessions", "150", "--oracle-sessions", "20"])
    assert result.exit_code == 0, result.output
    assert "model" in result.stdout and "engagement/session" in result.stdout

    with engine.connect() as conn:
        logged = conn.execute(
            select(Event.actor_id, Event.post_id, Event.created_at, Event.payload)
            .where(Event.type == "impression", Event.id > last_event)
            .order_by(Event.id)
        ).all()
        post_at = {int(p): at for p, at in conn.execute(select(Post.id, Post.created_at))}
    engine.dispose()
    assert len(logged) > 100
    assert {row.payload["model_version"] for row in logged} == {"pixelrank-ranker/1"}  # the registered champion
    assert {row.payload["policy"] for row in logged} == {"model"}
    by_request: dict[str, list[int]] = {}
    for row in logged:
        by_request.setdefault(row.payload["request_id"], []).append(row.payload["position"])
    assert all(sorted(positions) == list(range(len(positions))) for positions in by_request.values())
    assert any(len(positions) > 3 for positions in by_request.values())
    pairs = [(row.actor_id, row.post_id) for row in logged]
    assert len(set(pairs)) == len(pairs), "a post was shown twice to the same user"
    assert not set(pairs) & before, "a post seen in an earlier session was shown again"
    assert all(authors[post] != user for user, post in pairs), "a user was shown their own post"
    assert all(post_at[row.post_id] <= row.created_at for row in logged), "a post was shown before it existed"
    assert any(user == active for user, _ in pairs)
    assert not [post for user, post in pairs if user == active and authors[post] == blocked]


def test_features_as_of_match_the_point_in_time_training_set(trained: Path) -> None:
    """The simulation's features at time t are the ones the ranker was trained with for an impression at t."""
    store = open_store(FeatureStoreConfig(home=trained))
    engine = make_engine(f"sqlite:///{trained / 'pixelrank.db'}")
    frame = build_training_set(store, engine).sample(200, random_state=0)
    engine.dispose()
    reader = AsOfReader(FeatureStoreConfig(home=trained).data_dir)
    features = AsOfFeatures(reader)
    columns = service_columns("ranker_v1")
    assert features.columns == columns
    for row in frame.itertuples():
        at = (row.impression_ts - 1) / 1000.0  # the training set reads 1 ms before the impression
        reader.at = at
        got = features(row.user_id, [row.post_id], [row.author_id], at)[0]
        want = np.array([getattr(row, c) for c in columns], dtype=np.float64)
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-6, err_msg=str(row.impression_id))
    liked = frame[frame["post_likes_total"] > 0].iloc[0]
    reader.at = load_truth(trained).start  # before any session: no like of any post exists yet
    early = features(int(liked.user_id), [int(liked.post_id)], [int(liked.author_id)], reader.at)[0]
    assert early[columns.index("post_likes_total")] == 0.0


def test_without_a_trained_ranker_the_model_policy_is_a_one_line_error(tmp_path: Path) -> None:
    home = tmp_path / "empty"
    home.mkdir()
    upgrade(make_engine(f"sqlite:///{home / 'pixelrank.db'}"))
    env = {"PIXELRANK_HOME": str(home), "DATABASE_URL": "", "REDIS_URL": "", "MLFLOW_TRACKING_URI": ""}
    result = CliRunner().invoke(app, ["simulate", "--policy", "model", "--sessions", "5"], env=env)
    assert result.exit_code != 0
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error:") and "pixelrank train" in lines[0], result.output
    assert not (home / "mlflow.db").exists()  # looking for a champion creates no tracking store

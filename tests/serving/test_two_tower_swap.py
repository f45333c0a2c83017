"""The API follows the two-tower `champion` without a restart, and no request ever mixes two versions.

Each test has its own MLflow SQLite store (the app follows the real `pixelrank-two-tower` name) and
small seeded versions written the way training writes them (`write_version`).
"""

from __future__ import annotations

import shutil
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from candidates.index import INDEX_FILE, PostIndex
from candidates.two_tower.store import CONFIG, WEIGHTS
from candidates.types import CandidateQuery, Proposals
from serving.app import create_app
from serving.feed.assembly import FeedStack
from serving.feed.sources import MISSING_INDEX
from serving.settings import Settings
from tests.candidates.test_runtime import write_version
from tests.serving.conftest import Api
from tests.serving.test_feed import get_page
from tests.serving.test_model_swap import wait_for
from tests.serving.test_two_tower_serving import log_version
from training.registry import TWO_TOWER, promote, register

REFRESH_S = 0.2


@pytest.fixture(scope="session")
def mlflow_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty MLflow SQLite store, created once (that takes seconds); each test copies the file."""
    path = tmp_path_factory.mktemp("mlflow-template") / "mlflow.db"
    client = MlflowClient(f"sqlite:///{path}", registry_uri=f"sqlite:///{path}")
    client.search_experiments()
    client.search_registered_models()
    return path


@pytest.fixture
def live(settings: Settings, tmp_path: Path, mlflow_template: Path) -> Settings:
    store = tmp_path / "registry" / "mlflow.db"
    store.parent.mkdir()
    shutil.copy(mlflow_template, store)
    update = {"ranker": "heuristic", "mlflow_tracking_uri": f"sqlite:///{store}", "model_refresh_s": REFRESH_S}
    return settings.model_copy(update=update)


@dataclass
class World:
    settings: Settings
    tokens: dict[str, str]

    def api(self, client: TestClient) -> Api:
        api = Api(client)
        api.tokens.update(self.tokens)
        return api


def build(api: Api) -> None:
    """viewer, and ann and bob with two posts each (nobody follows anybody: all of it is two-tower's)."""
    for name in ("viewer", "ann", "bob"):
        api.signup(name)
    for name in ("ann", "bob"):
        for i in range(2):
            api.post(name, f"{name}{i} #topic{i}")


@pytest.fixture
def world(live: Settings) -> World:
    """The world built and v1 trained on it and promoted, before the app under test starts."""
    with TestClient(create_app(live)) as client:
        api = Api(client)
        build(api)
        make_champion(live, write_version(live.home, "v1", client.app.state.engine))  # type: ignore[attr-defined]
    return World(live, api.tokens)


def make_champion(settings: Settings, folder: Path) -> None:
    """Log `folder` as a two-tower training run and make it the champion (by hand when its metric ties)."""
    uri = str(settings.mlflow_tracking_uri)
    client = MlflowClient(uri, registry_uri=uri)
    decision = register(log_version(uri, folder), TWO_TOWER, "test_recall_at_100", "h", client=client)
    if not decision.promoted:
        promote(TWO_TOWER, decision.version.version, client=client)


def feed_of(client: TestClient) -> FeedStack:
    stack: FeedStack = client.app.state.feed  # type: ignore[attr-defined]
    return stack


def served_by(api: Api, url: str = "/v1/feed") -> dict[str, Any]:
    served: dict[str, Any] = get_page(api, "viewer", url, limit=3)["served_by"]
    return served


def two_tower_of(served: dict[str, Any]) -> str | None:
    version: str | None = served["model_versions"].get("two_tower")
    return version


def test_a_promoted_champion_serves_from_the_next_request_without_a_restart(world: World) -> None:
    with TestClient(create_app(world.settings)) as client:
        api, feed = world.api(client), feed_of(client)
        first = served_by(api)
        assert two_tower_of(first) == "v1" and "two_tower" in first["sources"]  # the champion, at start-up
        make_champion(world.settings, write_version(world.settings.home, "v2", client.app.state.engine))  # type: ignore[attr-defined]
        wait_for(lambda: feed.retrieval.current.two_tower_version == "v2")  # the watcher's thread swapped it
        assert two_tower_of(served_by(api)) == "v2"
        assert two_tower_of(served_by(api, "/v1/explore")) == "v2"


class Gate:
    """A candidate source that holds its request until released: the request is in flight meanwhile."""

    name = "gate"

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def __call__(self, query: CandidateQuery) -> Proposals:
        self.entered.set()
        if not self.release.wait(30):
            raise TimeoutError("the gate was never released")
        return Proposals.none()


def test_a_request_in_flight_finishes_on_the_version_it_started_with(world: World) -> None:
    settings = world.settings.model_copy(update={"model_refresh_s": 3600.0})  # swaps when the test says
    with TestClient(create_app(settings)) as client:
        api, feed, gate = world.api(client), feed_of(client), Gate()
        pipeline = feed.retrieval.current.pipelines["feed"]
        pipeline.sources = [*pipeline.sources, gate]  # after the two-tower source: v1 has answered
        in_flight: list[dict[str, Any]] = []
        request = threading.Thread(target=lambda: in_flight.append(served_by(api)))
        request.start()
        assert gate.entered.wait(30)
        make_champion(settings, write_version(settings.home, "v2", client.app.state.engine))  # type: ignore[attr-defined]
        feed.two_tower.refresh()  # (or the watcher's first check did it)
        relay_target = feed.two_tower.current()
        assert feed.retrieval.current.two_tower_version == "v2" and relay_target is not None
        assert relay_target.version == "v2"
        gate.release.set()
        request.join(30)
        after = served_by(api)
    [during] = in_flight
    assert "gate" in during["sources"] and two_tower_of(during) == "v1"  # all of it on the version it began with
    assert "gate" not in after["sources"] and two_tower_of(after) == "v2"


def test_a_first_version_after_start_ends_the_missing_index_fallback(live: Settings) -> None:
    with TestClient(create_app(live)) as client:
        api, feed = Api(client), feed_of(client)
        build(api)
        before = served_by(api)  # the first ranked request starts the watcher
        assert MISSING_INDEX in before["degraded_reasons"] and "two_tower" not in before["sources"]
        make_champion(live, write_version(live.home, "v1", client.app.state.engine))  # type: ignore[attr-defined]
        wait_for(lambda: feed.two_tower.current() is not None)
        for url in ("/v1/feed", "/v1/explore"):
            after = served_by(api, url)
            assert MISSING_INDEX not in after["degraded_reasons"]
            assert "two_tower" in after["sources"] and two_tower_of(after) == "v1"


def write_broken_version(home: Path, name: str) -> Path:
    """A folder that looks complete (weights, config, index) but holds no model."""
    folder = home / "models" / "two_tower" / name
    (folder / "index").mkdir(parents=True)
    for path in (folder / WEIGHTS, folder / CONFIG, folder / "index" / INDEX_FILE):
        path.write_text("{not a model")
    return folder


def test_a_broken_champion_leaves_the_serving_version_in_place(world: World) -> None:
    with TestClient(create_app(world.settings)) as client:
        api, feed = world.api(client), feed_of(client)
        before = served_by(api)  # and the watcher runs
        assert two_tower_of(before) == "v1"
        make_champion(world.settings, write_broken_version(world.settings.home, "v2"))
        with pytest.raises(ValueError):
            feed.two_tower.refresh()
        time.sleep(3 * REFRESH_S)  # the watcher meets it too, and logs it
        served = served_by(api)
    assert two_tower_of(served) == "v1" and served["degraded_reasons"] == before["degraded_reasons"]
    assert feed.retrieval.current.two_tower_version == "v1"


def test_after_a_swap_the_relay_indexes_new_posts_into_the_new_version(world: World) -> None:
    settings = world.settings.model_copy(update={"relay": "inprocess", "relay_idle_seconds": 0.02})
    with TestClient(create_app(settings)) as client:
        api, feed = world.api(client), feed_of(client)
        old = feed.two_tower.current()
        make_champion(settings, write_version(settings.home, "v2", client.app.state.engine))  # type: ignore[attr-defined]
        assert feed.two_tower.refresh()
        new = feed.two_tower.current()
        assert old is not None and new is not None and new.version == "v2"
        post_id = int(api.post("ann", "after the swap #topic0"))
        wait_for(lambda: PostIndex.load(new.folder / "index").newest_id() == post_id)  # added, then saved
        assert new.index.newest_id() == post_id
        assert old.index.newest_id() < post_id  # the old version's index no longer follows the posts
        assert two_tower_of(served_by(api)) == "v2"


def test_without_an_in_process_relay_new_posts_are_caught_up_at_each_check(world: World) -> None:
    """`pixelrank worker` in its own process indexes posts into its own copy: the API catches up itself."""
    with TestClient(create_app(world.settings.model_copy(update={"relay": "off"}))) as client:
        api, feed = world.api(client), feed_of(client)
        serving = feed.two_tower.current()
        assert serving is not None
        post_id = int(api.post("bob", "while the worker runs elsewhere #topic1"))
        assert serving.index.newest_id() < post_id
        assert not feed.two_tower.refresh()  # no new champion: the same version, caught up
        assert feed.two_tower.current() is serving and serving.index.newest_id() == post_id

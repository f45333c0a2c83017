"""Serving follows `champion` without a restart, and no request ever mixes two models."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import mlflow
import numpy as np
import pytest
from mlflow import MlflowClient

from serving.models import ChampionModel, WatchConfig
from tests.mlflow_stores import STORE_KINDS, ToyModel, load_toy, log_toy_run, save_toy, store_uri, unique_name
from training import registry

REFRESH_S = 0.3
X = np.eye(3)


@pytest.fixture(params=STORE_KINDS)
def tracking_uri(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    return store_uri(request.param, request, tmp_path_factory)


def register(uri: str, name: str, folder: Path, value: float) -> registry.Decision:
    run_id = log_toy_run(uri, folder, value, pyfunc=False)
    return registry.register(run_id, name, "holdout_ndcg_at_10", "h1", client=MlflowClient(uri))


def watcher(uri: str, name: str, cache: Path) -> ChampionModel[ToyModel]:
    return ChampionModel(WatchConfig(uri, name, cache, refresh_s=REFRESH_S), load_toy)


def wait_for(condition: object, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_no_registered_model_means_none_then_the_champion_appears(tracking_uri: str, tmp_path: Path) -> None:
    name = unique_name()
    models = watcher(tracking_uri, name, tmp_path / "cache").start()
    try:
        assert models.current() is None
        register(tracking_uri, name, save_toy(tmp_path / "v1", (1.0, 2.0, 3.0)), 0.3)
        wait_for(lambda: models.current() is not None)
        loaded = models.current()
        assert loaded is not None and loaded.version == "1" and loaded.model.label == f"{name}/1"
        assert loaded.model.weights == (1.0, 2.0, 3.0)
    finally:
        models.stop()


def test_hot_swap_under_concurrent_requests(tracking_uri: str, tmp_path: Path) -> None:
    name, weights = unique_name(), {"1": (1.0, 0.0, 0.0), "2": (0.0, 0.0, 5.0)}
    register(tracking_uri, name, save_toy(tmp_path / "v1", weights["1"]), 0.3)
    models = watcher(tracking_uri, name, tmp_path / "cache").start()
    expected = {version: ToyModel(w, "").predict(X)["like"] for version, w in weights.items()}
    stop, errors = threading.Event(), list[str]()
    seen: list[list[str]] = [[] for _ in range(4)]

    def serve(requests: list[str]) -> None:
        while not stop.is_set():
            loaded = models.current()  # once per request, as the pipeline does
            if loaded is None:
                errors.append("no model while a champion exists")
                return
            first = loaded.model.predict(X)["like"]
            time.sleep(0.01)  # the request is in flight while the alias may move
            second = loaded.model.predict(X)["like"]
            if not (np.array_equal(first, second) and np.allclose(first, expected[loaded.version])):
                errors.append(f"request on version {loaded.version} saw {first} then {second}")
            requests.append(loaded.version)

    threads = [threading.Thread(target=serve, args=(requests,)) for requests in seen]
    try:
        for thread in threads:
            thread.start()
        time.sleep(3 * REFRESH_S)
        assert register(tracking_uri, name, save_toy(tmp_path / "v2", weights["2"]), 0.4).promoted
        promoted_at = time.monotonic()
        wait_for(lambda: all(requests and requests[-1] == "2" for requests in seen))
        swap_s = time.monotonic() - promoted_at
        counts = [len(requests) for requests in seen]
        time.sleep(3 * REFRESH_S)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
        models.stop()
    assert not errors, errors[:3]
    for requests in seen:
        assert requests[0] == "1" and requests[-1] == "2"
        assert requests == sorted(requests), "once a thread saw the new model it never got the old one back"
    assert swap_s < 5 * REFRESH_S + 5, f"the swap took {swap_s:.1f} s"
    assert all(set(requests[count:]) == {"2"} for requests, count in zip(seen, counts, strict=True))


def test_rollback_swaps_back_and_a_broken_version_keeps_the_serving_model(tracking_uri: str, tmp_path: Path) -> None:
    name, client = unique_name(), MlflowClient(tracking_uri)
    register(tracking_uri, name, save_toy(tmp_path / "v1", (1.0, 0.0, 0.0)), 0.3)
    register(tracking_uri, name, save_toy(tmp_path / "v2", (2.0, 0.0, 0.0)), 0.4)
    models = watcher(tracking_uri, name, tmp_path / "cache")
    assert models.refresh() and models.current() is not None and models.current().version == "2"  # type: ignore[union-attr]
    assert not models.refresh(), "an alias that did not move loads nothing"
    registry.rollback(name, client=client)
    assert models.refresh() and models.current().model.weights == (1.0, 0.0, 0.0)  # type: ignore[union-attr]
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "weights.json").write_text("{not json")
    register(tracking_uri, name, broken, 0.9)
    models.start()  # its first refresh meets the broken version: logged, not raised
    try:
        current = models.current()
        assert current is not None and current.version == "1"
        with pytest.raises(ValueError):
            models.refresh()
    finally:
        models.stop()


@pytest.mark.parametrize("pyfunc", [True, False])
def test_the_champion_loads_from_the_given_store_whatever_the_process_defaults(
    pyfunc: bool,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uri, name = store_uri("sqlite", request, tmp_path_factory), unique_name()
    run_id = log_toy_run(uri, save_toy(tmp_path / "v1", (1.0, 2.0, 3.0)), 0.3, pyfunc=pyfunc)
    registry.register(run_id, name, "holdout_ndcg_at_10", "h1", client=MlflowClient(uri))
    # A server process: no MLFLOW_TRACKING_URI and a working directory of its own.
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setattr(mlflow.tracking._tracking_service.utils, "_tracking_uri", None)
    monkeypatch.chdir(tmp_path)
    models = watcher(uri, name, tmp_path / "cache")
    models.refresh()
    loaded = models.current()
    assert loaded is not None and loaded.model.weights == (1.0, 2.0, 3.0)
    assert not (tmp_path / "mlflow.db").exists()  # never the default store in the working directory

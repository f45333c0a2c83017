"""Every fallback of the feed with its service really stopped or missing: each page still answers 200,
says `degraded` with the reason, and the fallback is counted in /metrics."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import lightgbm as lgb
import numpy as np
import pytest
from fastapi.testclient import TestClient
from mlflow import MlflowClient

from candidates.fanout import FanoutConfig
from candidates.sources.popular import PopularSource
from candidates.two_tower.runtime import TwoTowerRuntime
from features.catalogue import PostCatalogue
from features.schema import service_columns
from features.store import FeatureStoreConfig, apply, open_store
from ranking.models.lightgbm import LightGBMRanker
from serving.app import create_app
from serving.feed.sources import MISSING_INDEX, Capped, feed_sources
from serving.settings import Settings
from social_core.db import make_engine
from tests.mlflow_stores import log_toy_run
from tests.serving.conftest import Api
from tests.serving.test_feed import all_pages, captions, get_page
from training import registry

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens there


def build(api: Api) -> None:
    """viewer follows a and b (2 posts each, a's first); c, followed by nobody, has one post liked by a."""
    for name in ("viewer", "a", "b", "c"):
        api.signup(name)
    for name in ("a", "b"):
        assert api.as_("viewer").post(f"/v1/users/{name}/follow").status_code == 200
    for i in range(2):
        api.post("a", f"a{i}")
        api.post("b", f"b{i}")
    api.as_("a").post(f"/v1/posts/{api.post('c', 'c0')}/like")


def fallbacks(client: TestClient, kind: str) -> float:
    """The /metrics value of pixelrank_fallbacks_total for `kind` (0 when absent). Tests compare deltas:
    with Feast imported, prometheus_client keeps values per process, shared by every app of a test run, and
    a series shows its shared value only once this app has created it (hence `labels` first)."""
    client.app.state.metrics.fallbacks.labels(kind)  # type: ignore[attr-defined]
    prefix = f'pixelrank_fallbacks_total{{kind="{kind}"}} '
    lines = [line for line in client.get("/metrics").text.splitlines() if line.startswith(prefix)]
    return float(lines[0].removeprefix(prefix)) if lines else 0.0


@pytest.fixture
def no_redis(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"redis_url": DEAD_REDIS, "ranker": "heuristic"}))) as client:
        yield client


def test_redis_unreachable_serves_the_chronological_feed_from_the_database(no_redis: TestClient) -> None:
    api = Api(no_redis)
    build(api)
    before = fallbacks(no_redis, "chronological_feed")
    pages = all_pages(api, "viewer", limit=3)
    assert captions(pages) == ["b1", "a1", "b0", "a0"]  # followed accounts only, newest first, each once
    served = pages[0]["served_by"]
    assert (served["scorer"], served["degraded"]) == ("chronological", True)
    assert served["degraded_reasons"] == ["redis unreachable: chronological feed"]
    assert fallbacks(no_redis, "chronological_feed") - before == len(pages)


def test_redis_unreachable_explore_ranks_each_page_without_a_cache(no_redis: TestClient) -> None:
    api = Api(no_redis)
    build(api)
    api.signup("d")
    api.as_("b").post(f"/v1/posts/{api.post('d', 'd0')}/like")
    pages = all_pages(api, "viewer", "/v1/explore", limit=1)
    assert captions(pages) == ["c0", "d0"] or captions(pages) == ["d0", "c0"]
    reasons = pages[0]["served_by"]["degraded_reasons"]
    assert "redis unreachable: ranked per page without a cache" in reasons
    assert "seen store unreachable: recently seen posts not filtered" in reasons


def test_no_registered_model_serves_the_heuristic_until_a_champion_appears(settings: Settings, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    champion = settings.model_copy(update={"ranker": "champion", "mlflow_tracking_uri": uri, "model_refresh_s": 0.2})
    with TestClient(create_app(champion)) as client:
        api = Api(client)
        build(api)
        before = fallbacks(client, "no_model_registered")
        page = get_page(api, "viewer", limit=2)
        assert page["served_by"]["scorer"] == "heuristic"
        assert "no model registered: heuristic scorer" in page["served_by"]["degraded_reasons"]
        assert fallbacks(client, "no_model_registered") - before == 1
        run_id = log_toy_run(uri, save_ranker(tmp_path / "ranker"), 0.5, pyfunc=False)
        registry.register(run_id, registry.RANKER, "holdout_ndcg_at_10", "h1", client=MlflowClient(uri))
        ranker = client.app.state.feed.ranker  # type: ignore[attr-defined]
        deadline = time.monotonic() + 20
        while ranker.current() is None:
            assert time.monotonic() < deadline, "the champion was never picked up"
            time.sleep(0.05)
        served = get_page(api, "viewer", limit=2)["served_by"]
    assert (served["scorer"], served["model_versions"]["ranker"]) == ("lightgbm", f"{registry.RANKER}/1")
    assert not [r for r in served["degraded_reasons"] if "model" in r]


def save_ranker(folder: Path) -> Path:
    """A tiny LightGBM ranker over the ranker_v1 columns, saved as serving loads it."""
    names = tuple(service_columns("ranker_v1"))
    rng = np.random.default_rng(0)
    features = rng.normal(size=(200, len(names)))
    likes = (features[:, 0] > 0).astype(int)
    params = {"objective": "binary", "verbosity": -1, "num_threads": 1, "seed": 0, "num_leaves": 4}
    boosters = {"like": lgb.train(params, lgb.Dataset(features, likes), 5)}
    LightGBMRanker(boosters, names, "local").save(folder)
    return folder


def test_a_missing_feature_store_serves_feature_defaults(built: Api) -> None:
    before = fallbacks(built.client, "online_store_unreachable")
    page = get_page(built, "viewer", limit=2)
    assert "online store unreachable: feature defaults" in page["served_by"]["degraded_reasons"]
    assert fallbacks(built.client, "online_store_unreachable") - before == 1


@pytest.fixture
def built(settings: Settings) -> Iterator[Api]:
    with TestClient(create_app(settings.model_copy(update={"ranker": "heuristic"}))) as client:
        api = Api(client)
        build(api)
        yield api


def test_an_applied_feature_store_whose_redis_is_down_serves_feature_defaults(settings: Settings) -> None:
    config = FeatureStoreConfig(home=settings.home)
    apply(open_store(config), config)  # applied (SQLite online store), then served against a Redis that is down
    with TestClient(create_app(settings.model_copy(update={"redis_url": DEAD_REDIS, "ranker": "heuristic"}))) as client:
        api = Api(client)
        build(api)
        page = get_page(api, "viewer", "/v1/explore", limit=2)
    assert (config.repo_dir / "registry.db").exists()
    assert "online store unreachable: feature defaults" in page["served_by"]["degraded_reasons"]
    assert captions([page]) == ["c0"]


def test_a_missing_faiss_index_makes_popular_take_the_two_tower_share(built: Api) -> None:
    before = fallbacks(built.client, "two_tower_index_missing")
    page = get_page(built, "viewer", limit=2)
    assert MISSING_INDEX in page["served_by"]["degraded_reasons"]
    assert "two_tower" not in page["served_by"]["sources"] and "popular" in page["served_by"]["sources"]
    assert fallbacks(built.client, "two_tower_index_missing") - before == 1
    stack = built.client.app.state.feed  # type: ignore[attr-defined]
    limits = {s.name: s.limit for s in stack.retrieval.current.pipelines["feed"].sources}
    assert limits["popular"] == 300 and "two_tower" not in limits  # two-tower's count, by default 300


def test_with_an_index_the_two_tower_source_serves_and_nothing_is_degraded(settings: Settings) -> None:
    runtime = cast(TwoTowerRuntime, SimpleNamespace(model=object(), index=object(), version="v1"))
    engine = make_engine(settings.db_url)
    sources, degraded = feed_sources(
        {"two_tower": 30, "popular": 5}, engine, None, FanoutConfig(), runtime, lambda _: None, PostCatalogue(engine)
    )
    engine.dispose()
    assert [(s.name, cast(Capped, s).limit) for s in sources] == [("two_tower", 30), ("popular", 5)]
    assert degraded == ()


def test_a_failing_source_is_skipped_never_a_5xx(built: Api, tmp_path: Path) -> None:
    broken = make_engine(f"sqlite:///{tmp_path / 'missing' / 'gone.db'}")  # its folder does not exist
    pipeline = built.client.app.state.feed.retrieval.current.pipelines["feed"]  # type: ignore[attr-defined]
    pipeline.sources = [*pipeline.sources, Capped(BrokenPopular(broken), 10)]
    before = fallbacks(built.client, "source_failed")
    response = built.as_("viewer").get("/v1/feed")
    broken.dispose()
    assert response.status_code == 200
    served = response.json()["served_by"]
    assert served["failed_sources"] == ["broken_popular"]
    assert "a candidate source failed: skipped" in served["degraded_reasons"]
    assert {"b1", "a1"} <= set(captions([response.json()]))
    assert fallbacks(built.client, "source_failed") - before == 1


class BrokenPopular(PopularSource):
    name = "broken_popular"

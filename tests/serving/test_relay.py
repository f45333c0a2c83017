"""The in-process outbox relay: a like through the API reaches the online features within a second."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from features.hydrate import Hydrator, HydratorConfig
from features.materialize import materialize
from features.schema import service_columns
from features.store import FeatureStoreConfig, apply, open_store
from serving.app import create_app
from serving.settings import Settings
from tests.features.conftest import BuiltWorld, built_world  # noqa: F401  (the fixture)
from tests.serving.conftest import Api


def test_a_like_reaches_the_online_features_within_a_second(settings: Settings, built_world: BuiltWorld) -> None:  # noqa: F811
    config = FeatureStoreConfig(home=settings.home)
    shutil.copytree(FeatureStoreConfig(home=built_world.home).data_dir, config.data_dir)
    store = open_store(config)
    apply(store, config)
    materialize(store, datetime.now(UTC))
    live = settings.model_copy(update={"relay": "inprocess", "relay_idle_seconds": 0.02})
    with TestClient(create_app(live)) as client:
        api = Api(client)
        api.signup("alice")
        api.signup("bob")
        post_id = api.post("alice")
        author_id = client.get("/v1/users/alice").json()["id"]
        bob_id = client.get("/v1/users/bob").json()["id"]
        hydrate = Hydrator.from_store(store, HydratorConfig(cache_ttl_s=0))
        likes = service_columns("ranker_v1").index("post_likes_total")
        assert api.as_("bob").post(f"/v1/posts/{post_id}/like").status_code == 200
        liked_at = time.perf_counter()
        while hydrate(bob_id, [int(post_id)], [author_id])[0, likes] < 1:
            assert time.perf_counter() - liked_at < 1.0, "the like is not online after 1 s"
            time.sleep(0.01)


def test_worker_once_drains_the_outbox(settings: Settings, monkeypatch, api: Api) -> None:  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from serving.cli import app
    from social_core import outbox
    from social_core.db import make_engine, make_sessionmaker

    api.signup("alice")
    api.post("alice")
    monkeypatch.setenv("PIXELRANK_HOME", str(settings.home))
    monkeypatch.setenv("DATABASE_URL", settings.db_url)
    result = CliRunner().invoke(app, ["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "relayed 3 events" in result.output  # user_created, media_uploaded, post_created
    engine = make_engine(settings.db_url)
    with make_sessionmaker(engine)() as session:
        assert outbox.fetch_unprocessed(session) == []
    engine.dispose()


def test_a_new_post_reaches_the_followers_feed_sets(settings: Settings) -> None:
    from candidates.fanout import feed_key

    live = settings.model_copy(update={"relay": "inprocess", "relay_idle_seconds": 0.02})
    with TestClient(create_app(live)) as client:
        api = Api(client)
        api.signup("alice")
        api.signup("bob")
        assert api.as_("bob").post("/v1/users/alice/follow").status_code in (200, 201)
        post_id = int(api.post("alice"))
        bob_id = client.get("/v1/users/bob").json()["id"]
        posted_at = time.perf_counter()
        redis = client.app.state.redis  # type: ignore[attr-defined]
        while post_id not in [int(m) for m in redis.zrange(feed_key(bob_id), 0, -1)]:
            assert time.perf_counter() - posted_at < 1.0, "the post is not in the follower's feed after 1 s"
            time.sleep(0.01)

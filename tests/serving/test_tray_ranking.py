"""The story tray ordered by predicted interest in the author, unseen first (`serving.feed.tray`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import numpy as np
import pytest
from fastapi.testclient import TestClient

from features.schema import default, service_columns
from features.store import FeatureStoreConfig
from ranking.value_model import ValueWeights
from serving.app import create_app
from serving.feed.features import OnlineFeatures
from serving.feed.ranker import RankerChoice
from serving.feed.tray import TrayRanker
from serving.models import WatchConfig
from serving.settings import Settings
from social_core.models import Story, User
from social_core.stories import TrayEntry
from tests.serving.conftest import Api

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def feed_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"ranker": "heuristic"}))) as client:
        yield client


def build(api: Api) -> None:
    """viewer follows a, b, c, who post a story each in that order (c's is the newest); b also posts twice."""
    for name in ("viewer", "a", "b", "c"):
        api.signup(name)
        if name != "viewer":
            api.as_("viewer").post(f"/v1/users/{name}/follow")
    for name in ("a", "b", "c"):
        response = api.as_(name).post("/v1/stories", json={"media_id": api.upload(name)})
        assert response.status_code == 201, response.text


def tray(api: Api) -> list[str]:
    return [item["user"]["username"] for item in api.as_("viewer").get("/v1/stories/tray").json()["items"]]


def test_without_affinity_the_tray_is_unseen_then_most_recent(feed_client: TestClient) -> None:
    api = Api(feed_client)
    build(api)
    assert tray(api) == ["c", "b", "a"]


def test_the_author_you_engage_with_comes_first_and_seen_ones_last(feed_client: TestClient) -> None:
    api = Api(feed_client)
    build(api)
    for i in range(2):
        api.as_("viewer").post(f"/v1/posts/{api.post('b', f'b{i}')}/like")
    assert tray(api) == ["b", "c", "a"]  # the feature store is missing here: the database affinity ranks
    api.as_("viewer").get("/v1/users/b/stories")  # watched: b's stories are seen now
    assert tray(api) == ["c", "a", "b"]
    own = api.as_("viewer").post("/v1/stories", json={"media_id": api.upload("viewer")})
    assert own.status_code == 201
    assert tray(api) == ["viewer", "c", "a", "b"]


class StubFeatures(OnlineFeatures):
    """The online store's answer for (viewer, author) rows: defaults, with some authors' interactions set."""

    def __init__(self, interactions: dict[int, float], tmp: Path) -> None:
        super().__init__(FeatureStoreConfig(home=tmp))
        self.interactions = interactions
        self.columns = service_columns("ranker_v1")

    def hydrate(
        self,
        service: str,
        user_id: int,
        post_ids: Sequence[int],
        author_ids: Sequence[int],
        request_ts: float | None = None,
    ) -> np.ndarray:
        matrix = np.tile([default(c) for c in self.columns], (len(author_ids), 1))
        column = self.columns.index("ua_interactions_28d")
        matrix[:, column] = [self.interactions.get(a, 0.0) for a in author_ids]
        return matrix


def entry(author_id: int, story_age_hours: float) -> TrayEntry:
    author = User(id=author_id, username=f"u{author_id}")
    return TrayEntry(author, cast(Story, None), NOW - timedelta(hours=story_age_hours), seen=False)


def test_predicted_interest_reads_affinity_features_and_the_story_age(tmp_path: Path) -> None:
    watch = WatchConfig("sqlite:///unused.db", "unused", tmp_path)
    ranker = TrayRanker(StubFeatures({2: 40.0}, tmp_path), RankerChoice("heuristic", watch), ValueWeights())
    entries = [entry(1, 1.0), entry(2, 5.0), entry(3, 10.0)]
    scores = ranker.predicted(99, entries, NOW)
    assert scores[2] > scores[1] > scores[3]  # affinity beats a few hours; equal affinity: the newer story
    ordered = ranker.order(cast(object, None), 99, entries, NOW)  # type: ignore[arg-type]
    assert [e.author.id for e in ordered] == [2, 1, 3]

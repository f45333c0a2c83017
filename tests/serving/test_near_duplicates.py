"""Reposts of one picture (recompressed, resized, or the same bytes) in the served feed and explore: a feed page
never holds two, explore shows the picture once."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from serving.app import create_app
from serving.settings import Settings
from tests.serving.conftest import Api, tiny_jpeg
from tests.serving.test_feed import captions, drain_relay, get_page


@pytest.fixture
def feed_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"ranker": "heuristic"}))) as client:
        yield client


def reposts() -> list[bytes]:
    """One picture three times: as made, recompressed smaller, and the same bytes again."""
    original = tiny_jpeg(10_000)
    smaller = io.BytesIO()
    Image.open(io.BytesIO(original)).resize((40, 50), Image.Resampling.BILINEAR).save(smaller, "JPEG", quality=50)
    return [original, smaller.getvalue(), original]


def build(api: Api, authors: tuple[str, ...]) -> None:
    """Each author reposts the picture and posts two of their own; a fan likes every post (popular proposes it)."""
    for name in ("viewer", "fan", *authors):
        api.signup(name)
    for name, picture in zip(authors, reposts(), strict=True):
        for i in range(2):
            api.as_("fan").post(f"/v1/posts/{api.post(name, f'{name} own {i}')}/like")
        api.as_("fan").post(f"/v1/posts/{api.post(name, f'{name} repost', picture)}/like")
    drain_relay(api.client)


def test_the_feed_shows_one_repost_of_a_picture_among_the_others(feed_client: TestClient) -> None:
    api = Api(feed_client)
    build(api, ("a", "b", "c"))
    for name in ("a", "b", "c"):
        assert api.as_("viewer").post(f"/v1/users/{name}/follow").status_code == 200
    drain_relay(feed_client)
    shown = captions([get_page(api, "viewer", limit=20)])
    assert len([c for c in shown if c.endswith("repost")]) == 1  # the others would need 20 posts between
    assert len([c for c in shown if " own " in c]) >= 5  # (author diversity may end the list on one author's)


def test_explore_shows_a_picture_once(feed_client: TestClient) -> None:
    api = Api(feed_client)
    build(api, ("x", "y", "z"))
    shown = captions([get_page(api, "viewer", "/v1/explore", limit=24)])
    assert len([c for c in shown if c.endswith("repost")]) == 1
    assert len(shown) == len(set(shown)) >= 6

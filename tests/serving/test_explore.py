"""`GET /v1/explore`: out of network only (never a followed, blocked or private account), paged like the feed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.settings import Settings
from tests.serving.conftest import Api
from tests.serving.test_feed import all_pages, captions, drain_relay, get_page


@pytest.fixture
def feed_client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings.model_copy(update={"ranker": "heuristic"}))) as client:
        yield client


def build(api: Api) -> None:
    """Everyone posts and every post is liked (so popular proposes it); the viewer's relations vary."""
    for name in ("viewer", "fan", "followed", "blocked", "blocker", "stranger", "other"):
        api.signup(name)
    api.signup("secret", private=True)
    api.as_("viewer").post("/v1/users/followed/follow")
    api.as_("viewer").post("/v1/users/blocked/block")
    api.as_("blocker").post("/v1/users/viewer/block")
    for name in ("followed", "blocked", "blocker", "stranger", "other", "secret", "viewer"):
        for i in range(2):
            post = api.post(name, f"{name}{i}")
            api.as_("fan").post(f"/v1/posts/{post}/like")
    drain_relay(api.client)


def test_explore_shows_only_out_of_network_visible_posts_without_duplicates(feed_client: TestClient) -> None:
    api = Api(feed_client)
    build(api)
    pages = all_pages(api, "viewer", "/v1/explore", limit=3)
    shown = captions(pages)
    assert len(shown) == len(set(shown))
    assert set(shown) == {"stranger0", "stranger1", "other0", "other1"}
    served = pages[0]["served_by"]
    assert served["pipeline"] == "explore" and "following" not in served["sources"]
    assert all(item["sources"] for page in pages for item in page["items"])


def test_following_an_account_takes_it_out_of_the_cached_explore_list(feed_client: TestClient) -> None:
    api = Api(feed_client)
    build(api)
    first = get_page(api, "viewer", "/v1/explore", limit=1)
    author = first["items"][0]["author"]["username"]
    other = "other" if author == "stranger" else "stranger"
    api.as_("viewer").post(f"/v1/users/{other}/follow")  # no relay run: the cached list still holds its posts
    rest = get_page(api, "viewer", "/v1/explore", limit=10, cursor=first["next_cursor"])
    assert not [c for c in captions([rest]) if c.startswith(other)]

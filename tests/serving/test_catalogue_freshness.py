"""The post catalogue behind the feed: a deletion, an author gone private and a new post reach the served
ranking within `catalogue_refresh_s`, and no page ever shows a deleted or newly private post meanwhile
(each page is checked as it leaves, `serving.feed.guard`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.feed.rank import rank
from serving.settings import Settings
from tests.serving.conftest import Api
from tests.serving.test_feed import drain_relay, get_page

REFRESH_S = 0.5


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    tuned = settings.model_copy(update={"ranker": "heuristic", "catalogue_refresh_s": REFRESH_S})
    with TestClient(create_app(tuned)) as client:
        yield client


@pytest.fixture
def api(client: TestClient) -> Api:
    """viewer follows a; d is followed by nobody, and a likes d's post (social proof for the viewer)."""
    api = Api(client)
    for name in ("viewer", "a", "d"):
        api.signup(name)
    assert api.as_("viewer").post("/v1/users/a/follow").status_code == 200
    for i in range(3):
        api.post("a", f"a{i}")
    liked = api.post("d", "d0")
    assert api.as_("a").post(f"/v1/posts/{liked}/like").status_code == 200
    drain_relay(client)
    return api


def ranked_ids(api: Api) -> set[int]:
    """The viewer's feed as the pipeline ranks it now, before the page guard (what earlier pages showed
    forgotten, so that only the catalogue's facts can keep a post out)."""
    stack = api.client.app.state.feed  # type: ignore[attr-defined]
    viewer = api.as_("viewer").get("/v1/users/viewer").json()["id"]
    stack.seen.redis.delete(stack.seen.key(viewer))
    result = rank(stack, "feed", viewer, datetime.now(UTC), depth=stack.depth).result
    return {item.post_id for item in result.items}


def seconds_until(condition: Callable[[], bool], bound: float = 10.0) -> float:
    """How long until `condition` holds (a generous bound: speed is the benchmark's, not the test's)."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < bound, "the ranking never caught up"
        time.sleep(0.05)
    return time.monotonic() - started


def page_ids(api: Api) -> set[int]:
    return {int(item["id"]) for item in get_page(api, "viewer", limit=30)["items"]}


def test_a_deleted_post_leaves_the_ranking_and_is_never_served(api: Api) -> None:
    gone = int(api.post("a", "to be deleted"))
    drain_relay(api.client)
    seconds_until(lambda: gone in ranked_ids(api))
    assert api.as_("a").delete(f"/v1/posts/{gone}").status_code == 204
    assert gone not in page_ids(api)  # at once, within the catalogue's staleness: the page guard
    waited = seconds_until(lambda: gone not in ranked_ids(api))
    assert waited <= REFRESH_S + 5.0


def test_an_author_gone_private_leaves_the_ranking_of_those_who_do_not_follow(api: Api) -> None:
    stranger = {int(i["id"]) for i in get_page(api, "viewer", limit=30)["items"] if i["author"]["username"] == "d"}
    assert stranger, "d's post must be in the viewer's feed first (social proof)"
    assert stranger <= ranked_ids(api)
    assert api.as_("d").patch("/v1/users/d", json={"is_private": True}).status_code == 200
    assert not stranger & page_ids(api)
    seconds_until(lambda: not stranger & ranked_ids(api))


def test_a_new_post_reaches_the_ranking(api: Api) -> None:
    new = int(api.post("a", "new"))
    drain_relay(api.client)  # fan-out into the viewer's following set
    seconds_until(lambda: new in ranked_ids(api))
    assert new in page_ids(api)

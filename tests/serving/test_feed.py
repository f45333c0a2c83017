"""`GET /v1/feed`: the page contract, pagination over the cached ranking, invalidation, visibility,
impressions with positions, and the user's own tuning, on SQLite and PostgreSQL."""

from __future__ import annotations

import math
import secrets
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
import redis as redis_lib
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.engine import Engine

from features import logged_row
from features.schema import service_columns
from ranking.degraded import Degraded
from ranking.explain import PHRASES
from ranking.pages.cache import CacheConfig, RankedList, RankedListCache
from ranking.result import ROW, ServedBy, ServedItem, ServedList
from ranking.selectors.exploration import Explored
from serving.app import create_app
from serving.relay import make_relay
from serving.settings import Settings
from social_core.db import make_sessionmaker
from social_core.models import Event
from tests.conftest import REDIS_URL, need_service
from tests.serving.conftest import Api


@pytest.fixture
def feed_settings(settings: Settings) -> Settings:
    """The heuristic ranker: these tests are about the page, not the registry (see test_feed_fallbacks)."""
    return settings.model_copy(update={"ranker": "heuristic"})


@pytest.fixture
def feed_client(feed_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(feed_settings)) as client:
        yield client


@pytest.fixture
def world(feed_client: TestClient) -> Api:
    """viewer follows a, b, c (3 posts each); d is followed by nobody (2 posts, liked by a: social proof)."""
    api = Api(feed_client)
    for name in ("viewer", "a", "b", "c", "d"):
        api.signup(name)
    for name in ("a", "b", "c"):
        assert api.as_("viewer").post(f"/v1/users/{name}/follow").status_code == 200
    for i in range(3):
        for name in ("a", "b", "c"):
            api.post(name, f"{name}{i}")
    for i in range(2):
        liked = api.post("d", f"d{i}")
        assert api.as_("a").post(f"/v1/posts/{liked}/like").status_code == 200
    drain_relay(feed_client)  # the follows' events: later drains in a test then see only its own
    return api


def get_page(api: Api, user: str, url: str = "/v1/feed", **params: Any) -> dict[str, Any]:
    response = api.as_(user).get(url, params={k: v for k, v in params.items() if v is not None})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def all_pages(api: Api, user: str, url: str = "/v1/feed", limit: int = 4) -> list[dict[str, Any]]:
    pages = [get_page(api, user, url, limit=limit)]
    while pages[-1]["next_cursor"] is not None:
        assert len(pages) < 50, "the cursor never ends"
        pages.append(get_page(api, user, url, limit=limit, cursor=pages[-1]["next_cursor"]))
    return pages


def captions(pages: list[dict[str, Any]]) -> list[str]:
    return [item["caption"] for page in pages for item in page["items"]]


def drain_relay(client: TestClient) -> int:
    state = client.app.state  # type: ignore[attr-defined]
    return make_relay(state.settings, state.sessions, state.redis).drain()


def test_signed_out_callers_get_401(feed_client: TestClient) -> None:
    assert feed_client.get("/v1/feed").status_code == 401
    assert feed_client.get("/v1/explore").status_code == 401


def test_an_item_is_the_post_as_get_post_shows_it_plus_reason_and_sources(world: Api) -> None:
    liked = world.post("b", "liked by the viewer")
    assert world.as_("viewer").post(f"/v1/posts/{liked}/like").status_code == 200
    drain_relay(world.client)
    page = get_page(world, "viewer", limit=30)
    item = next(i for i in page["items"] if i["caption"] == "a2")
    post = world.as_("viewer").get(f"/v1/posts/{item['id']}").json()
    assert {k: v for k, v in item.items() if k not in ("reason", "sources")} == post
    assert item["liked_by_me"] is False and item["author"]["username"] == "a"
    mine = next(i for i in page["items"] if i["caption"] == "liked by the viewer")
    assert mine["liked_by_me"] is True and mine["author"]["username"] == "b"
    assert {k: v for k, v in mine.items() if k not in ("reason", "sources")} == (
        world.as_("viewer").get(f"/v1/posts/{liked}").json()
    )
    assert item["sources"] == ["following"] and "@a" in item["reason"]
    assert {v["size"] for v in item["media"][0]["variants"]} >= {"thumbnail", "small"}
    assert all(v["url"].startswith("/media/") and v["width"] > 0 for v in item["media"][0]["variants"])
    served = page["served_by"]
    assert (served["pipeline"], served["scorer"], served["model_versions"]) == (
        "feed",
        "heuristic",
        {"ranker": "heuristic"},
    )
    assert {"following", "popular", "social_proof", "fresh"} <= set(served["sources"])
    assert served["degraded"] is True  # no feature store and no two-tower index in this world
    assert "two-tower index missing: popular source" in served["degraded_reasons"]


def test_pages_cover_the_ranking_once_without_duplicates_or_gaps(world: Api) -> None:
    pages = all_pages(world, "viewer", limit=4)
    seen = captions(pages)
    expected = {f"{n}{i}" for n in "abc" for i in range(3)} | {"d0", "d1"}  # d's via social proof / popular
    assert len(seen) == len(set(seen)) == len(expected)
    assert set(seen) == expected
    assert [len(p["items"]) for p in pages][:-1] == [4] * (len(pages) - 1)
    assert len({p["served_by"]["model_versions"]["ranker"] for p in pages}) == 1


def test_later_pages_read_the_cached_list_and_a_refresh_ranks_again(world: Api, feed_client: TestClient) -> None:
    first = get_page(world, "viewer", limit=3)
    world.post("a", "late")  # after the ranking: not in the cached list
    drain_relay(feed_client)  # fan-out puts it into the viewer's following set
    rest = all_pages_from(world, first["next_cursor"])
    assert "late" not in captions(rest)
    assert len(set(captions([first, *rest]))) == 11
    refreshed = get_page(world, "viewer", limit=3)  # pull to refresh: what was shown is now seen
    assert captions([refreshed]) == ["late"]


def all_pages_from(api: Api, cursor: str | None, limit: int = 3) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    while cursor is not None:
        pages.append(get_page(api, "viewer", limit=limit, cursor=cursor))
        cursor = pages[-1]["next_cursor"]
    return pages


def test_a_follow_drops_the_cached_list_and_the_next_page_ranks_again(world: Api, feed_client: TestClient) -> None:
    world.signup("e")
    world.post("e", "e0")
    drain_relay(feed_client)
    first = get_page(world, "viewer", limit=3)
    state = feed_client.app.state  # type: ignore[attr-defined]
    viewer_id = first_id(world, "viewer")
    assert state.feed.cache.get("feed", viewer_id) is not None
    world.as_("viewer").post("/v1/users/e/follow")
    assert drain_relay(feed_client) > 0
    assert state.feed.cache.get("feed", viewer_id) is None
    rest = all_pages_from(world, first["next_cursor"])
    shown = captions([first, *rest])
    assert "e0" in captions(rest) and len(shown) == len(set(shown)) == 12


def first_id(api: Api, username: str) -> int:
    return int(api.client.get(f"/v1/users/{username}", headers=api.auth("viewer")).json()["id"])


def test_a_block_takes_effect_on_the_next_cached_page_before_any_invalidation(world: Api) -> None:
    first = get_page(world, "viewer", limit=2)
    assert world.as_("viewer").post("/v1/users/b/block").status_code == 204  # relay not run: the list is stale
    rest = all_pages_from(world, first["next_cursor"], limit=2)
    assert not [c for c in captions(rest) if c.startswith("b")]


def test_private_posts_never_leak(feed_client: TestClient) -> None:
    api = Api(feed_client)
    for name in ("viewer", "friend"):
        api.signup(name)
    api.signup("secret", private=True)
    api.signup("approved", private=True)
    api.as_("viewer").post("/v1/users/friend/follow")
    api.as_("viewer").post("/v1/users/approved/follow")  # a request...
    requests = api.as_("approved").get("/v1/follow-requests").json()["items"]
    api.as_("approved").post(f"/v1/follow-requests/{requests[0]['id']}/approve")  # ...approved
    api.as_("secret").post("/v1/users/friend/follow")
    api.as_("friend").post("/v1/users/secret/follow")
    hidden = api.post("secret", "hidden")
    api.as_("friend").post(f"/v1/posts/{hidden}/like")  # social proof and popular would propose it
    api.post("approved", "visible")
    api.post("friend", "public")
    shown = captions(all_pages(api, "viewer")) + captions(all_pages(api, "viewer", "/v1/explore"))
    assert "hidden" not in shown
    assert {"visible", "public"} <= set(shown)


def two_followed_authors(api: Api) -> Api:
    """viewer follows a and b, who post 3 times each."""
    for name in ("viewer", "a", "b"):
        api.signup(name)
    for name in ("a", "b"):
        api.as_("viewer").post(f"/v1/users/{name}/follow")
    for i in range(3):
        api.post("a", f"a{i}")
        api.post("b", f"b{i}")
    return api


def impressions(engine: Engine) -> list[Event]:
    with make_sessionmaker(engine)() as session:
        return list(session.scalars(select(Event).where(Event.type == "impression").order_by(Event.id)))


def test_impressions_are_logged_with_positions_request_id_and_served_features(
    feed_settings: Settings, engine: Engine
) -> None:
    with TestClient(create_app(feed_settings)) as client:
        api = two_followed_authors(Api(client))
        first = get_page(api, "viewer", limit=4)
        headers = {"X-Request-ID": "page-two"}
        second = api.as_("viewer").get("/v1/feed", params={"limit": 4, "cursor": first["next_cursor"]}, headers=headers)
    events = impressions(engine)
    served = [int(i["id"]) for i in first["items"] + second.json()["items"]]
    assert [e.post_id for e in events] == served
    assert [e.payload["position"] for e in events] == list(range(6))
    assert {e.payload["request_id"] for e in events[4:]} == {"page-two"}
    assert all(e.payload["pipeline"] == "feed" and e.payload["model_version"] == "heuristic" for e in events)
    assert {e.payload["source"] for e in events} == {"following"}
    assert all(isinstance(e.payload["score"], float) for e in events)
    served = logged_row.decode(events[0].payload["features"], service_columns("ranker_v1"))  # ranked in this request
    assert served is not None and all(math.isfinite(v) for v in served.values())
    assert "features" not in events[4].payload  # served from the cached list


def test_an_explored_ranking_logs_each_impressions_propensity_and_the_draw(
    feed_settings: Settings, engine: Engine
) -> None:
    explored = feed_settings.model_copy(update={"exploration_rate": 1.0})
    with TestClient(create_app(explored)) as client:
        api = two_followed_authors(Api(client))
        page = get_page(api, "viewer", limit=6)
    events = impressions(engine)
    assert [e.post_id for e in events] == [int(i["id"]) for i in page["items"]]
    assert all(e.payload["explored"] and 0 < e.payload["propensity"] <= 1 for e in events)
    draw = Explored.from_payload(events[0].payload["exploration"], tuple(service_columns("ranker_v1")))
    assert draw is not None and len(draw.post_ids) == 6
    assert [int(draw.post_ids[i]) for i in draw.shown] == [e.post_id for e in events]
    for k, event in enumerate(events):
        assert event.payload["propensity"] == pytest.approx(draw.marginals[k, k])


def test_knobs_and_weights_of_the_user_move_the_feed(world: Api, engine: Engine) -> None:
    world.signup("e")
    popular = world.post("e", "only popular")
    world.signup("fan")
    world.as_("fan").post(f"/v1/posts/{popular}/like")  # nobody the viewer follows: popular alone proposes it
    default = captions([get_page(world, "viewer", limit=30)])
    assert default.index("only popular") > default.index("a2")
    tuned = world.as_("viewer").put("/v1/me/ranking", json={"popular": 2.0, "friends": 0.5})
    assert tuned.status_code == 200
    boosted = captions([get_page_fresh(world)])
    assert boosted.index("only popular") < min(boosted.index(f"{n}{i}") for n in "abc" for i in range(3))
    assert world.as_("viewer").put("/v1/me/ranking", json={"weights": {"like": -1.0}}).status_code == 422


def get_page_fresh(api: Api) -> dict[str, Any]:
    """Page 1 after forgetting what was seen, so the same posts are ranked again."""
    state = api.client.app.state  # type: ignore[attr-defined]
    state.redis.delete(state.feed.seen.key(first_id(api, "viewer")))
    return get_page(api, "viewer", limit=30)


def test_value_weights_of_the_user_scale_the_served_scores(world: Api, feed_client: TestClient) -> None:
    cache = feed_client.app.state.feed.cache  # type: ignore[attr-defined]
    viewer = first_id(world, "viewer")
    get_page(world, "viewer", limit=30)
    before = cache.get("feed", viewer)
    world.as_("viewer").put("/v1/me/ranking", json={"weights": {"like": 3.0}})
    get_page_fresh(world)
    after = cache.get("feed", viewer)
    assert before is not None and after is not None and before.served.rows["score"][0] > 0
    assert after.served.post_ids() == before.served.post_ids()  # one head: same order
    assert after.served.rows["score"].tolist() == pytest.approx((3.0 * before.served.rows["score"]).tolist())


def test_a_malformed_or_foreign_cursor_is_a_422(world: Api) -> None:
    explore = get_page(world, "viewer", "/v1/explore", limit=1)
    assert world.as_("viewer").get("/v1/feed", params={"cursor": "nonsense"}).status_code == 422
    if explore["next_cursor"]:
        assert world.as_("viewer").get("/v1/feed", params={"cursor": explore["next_cursor"]}).status_code == 422


@pytest.fixture(params=["fake", "real"])
def cache_redis(request: pytest.FixtureRequest, feed_client: TestClient) -> Iterator[Any]:
    if request.param == "fake":
        yield feed_client.app.state.redis  # type: ignore[attr-defined]
        return
    need_service("redis", bool(REDIS_URL))
    client = redis_lib.Redis.from_url(REDIS_URL or "")
    yield client
    client.close()


def served_list(posts: list[int], author: int, phrase: str, bits: int = 1) -> ServedList:
    """Rows proposed by `bits` over (following, fresh), scored 1, 0.9, ..., every one explained by `phrase`."""
    rows = np.zeros(len(posts), dtype=ROW)
    rows["post"], rows["author"], rows["score"] = posts, author, 1.0 - np.arange(len(posts)) / 10
    rows["bits"], rows["phrase"] = bits, PHRASES.index(phrase)
    return ServedList(("following", "fresh"), rows)


def test_the_cache_round_trips_expires_and_invalidates(cache_redis: Any) -> None:
    names = {2: "alice"}
    prefix = f"test-feedcache-{secrets.token_hex(6)}:"
    cache = RankedListCache(cache_redis, CacheConfig(ttl_s=60, prefix=prefix), lambda ids: [names.get(a) for a in ids])
    served_by = ServedBy("feed", "heuristic", "heuristic", ("following",), ("popular",), (Degraded.SOURCE_FAILED,))
    ranked = RankedList.new(served_by, served_list([1], 2, "you follow {author}", bits=0b11), "tt-1", base=7)
    try:
        cache.put(42, ranked)
        assert cache.get("feed", 42) == ranked
        assert 0 < cache_redis.ttl(cache.key("feed", 42)) <= 60 and cache_redis.ttl(cache.key("feed", 42) + ":rows") > 0
        (item,) = cache.get("feed", 42).served.items()  # type: ignore[union-attr]
        assert item == ServedItem(1, 2, 1.0, "you follow @alice", ("following", "fresh"))  # the text written as read
        assert cache.get("explore", 42) is None
        cache.invalidate(41, 42)
        assert cache.get("feed", 42) is None and not cache_redis.exists(cache.key("feed", 42) + ":rows")
    finally:
        cache_redis.delete(cache.key("feed", 42), cache.key("explore", 42), cache.key("feed", 42) + ":rows")


def test_a_cached_window_reads_one_page_of_the_list(cache_redis: Any) -> None:
    cache = RankedListCache(cache_redis, CacheConfig(ttl_s=60, prefix=f"test-feedcache-{secrets.token_hex(6)}:"))
    served_by = ServedBy("feed", "heuristic", "heuristic", ("following",), (), ())
    items = served_list([100, 101, 102, 103, 104], 7, "popular right now")
    top, deeper = RankedList.new(served_by, items, None), RankedList.new(served_by, items, None, base=40)
    try:
        cache.put(42, top)
        pages = [cache.window("feed", 42, position, 2) for position in (0, 2, 4)]
        assert [[i.post_id for i in w.items] for w in pages if w] == [[100, 101], [102, 103], [104]]
        assert [w.more for w in pages if w] == [True, True, False]
        assert all(w is not None and w.header == top.header for w in pages)
        cache.put(42, deeper)  # re-ranked where the user was: feed position 40 is its first item
        window = cache.window("feed", 42, 43, 2)
        assert window is not None and window.header == deeper.header
        assert [i.post_id for i in window.items] == [103, 104] and not window.more
        assert window == deeper.window(43, 2)  # the same page as the list in memory gives
        assert cache.window("explore", 42, 0, 2) is None
    finally:
        cache_redis.delete(cache.key("feed", 42), cache.key("feed", 42) + ":rows")

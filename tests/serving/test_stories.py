from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from serving.resources import open_redis
from serving.tray_cache import TrayCache
from social_core.models import Event
from tests.conftest import REDIS_URL, need_service
from tests.factories import make_media
from tests.serving.conftest import Api

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(client: TestClient, when: datetime) -> None:
    client.app.state.clock = lambda: when  # type: ignore[attr-defined]


def upload(client: TestClient, username: str, **kwargs: Any) -> str:
    user_id = client.get(f"/v1/users/{username}").json()["id"]
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        return str(make_media(session, user_id, **kwargs).id)


def post_story(client: TestClient, api: Api, username: str) -> dict[str, Any]:
    response = api.as_(username).post("/v1/stories", json={"media_id": upload(client, username)})
    assert response.status_code == 201, response.text
    story: dict[str, Any] = response.json()
    return story


def tray(api: Api, username: str) -> list[tuple[str, bool]]:
    response = api.as_(username).get("/v1/stories/tray")
    assert response.status_code == 200, response.text
    return [(item["user"]["username"], item["seen"]) for item in response.json()["items"]]


def reel(api: Api, viewer: str, owner: str) -> list[str]:
    response = api.as_(viewer).get(f"/v1/users/{owner}/stories")
    assert response.status_code == 200, response.text
    return [story["id"] for story in response.json()["items"]]


def test_a_story_shows_for_exactly_24_hours(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    api.as_("bob").post("/v1/users/alice/follow")
    at(client, T0)
    story = post_story(client, api, "alice")
    assert story["expires_at"].startswith("2026-03-02T12:00:00")
    assert {v["url"] for v in story["media"]["variants"]} >= {f"/media/{story['media']['id']}_large.webp"}
    at(client, T0 + timedelta(hours=23, minutes=59))
    assert tray(api, "bob") == [("alice", False)]
    assert reel(api, "bob", "alice") == [story["id"]]
    at(client, T0 + timedelta(hours=24))
    assert tray(api, "bob") == []  # the cached tray ends with its first story
    assert reel(api, "bob", "alice") == []
    assert tray(api, "alice") == []


def test_create_takes_an_unused_own_upload_and_short_videos(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    alice = api.as_("alice")
    mine, theirs = upload(client, "alice"), upload(client, "bob")
    assert alice.post("/v1/stories", json={"media_id": theirs}).status_code == 422
    assert alice.post("/v1/stories", json={"media_id": "12345"}).status_code == 422
    assert alice.post("/v1/stories", json={"media_id": mine}).status_code == 201
    assert alice.post("/v1/stories", json={"media_id": mine}).status_code == 422  # used
    in_post = upload(client, "alice")
    assert alice.post("/v1/posts", json={"media_ids": [in_post]}).status_code == 201
    assert alice.post("/v1/stories", json={"media_id": in_post}).status_code == 422
    long_video = upload(client, "alice", kind="video", duration_s=15.5)
    assert alice.post("/v1/stories", json={"media_id": long_video}).status_code == 422
    video = upload(client, "alice", kind="video", duration_s=15.0)
    created = alice.post("/v1/stories", json={"media_id": video})
    assert created.status_code == 201
    assert (created.json()["media"]["kind"], created.json()["media"]["duration_s"]) == ("video", 15.0)
    assert client.post("/v1/stories", json={"media_id": mine}).status_code == 401


def test_tray_puts_own_first_then_unseen_then_most_recent(client: TestClient, api: Api) -> None:
    for name in ("viewer", "a", "b", "c"):
        api.signup(name)
    for name in ("a", "b", "c"):
        api.as_("viewer").post(f"/v1/users/{name}/follow")
    first_of_a = None
    for hours, name in ((0, "a"), (1, "b"), (2, "c"), (3, "viewer"), (4, "a")):
        at(client, T0 + timedelta(hours=hours))
        story = post_story(client, api, name)
        first_of_a = first_of_a or story
    at(client, T0 + timedelta(hours=5))
    assert tray(api, "viewer") == [("viewer", True), ("a", False), ("c", False), ("b", False)]
    item = api.as_("viewer").get("/v1/stories/tray").json()["items"][1]
    assert first_of_a is not None
    assert (item["story_id"], item["latest_at"]) == (first_of_a["id"], "2026-03-01T16:00:00Z")
    assert item["thumbnail_url"] == f"/media/{first_of_a['media']['id']}_thumbnail.jpeg"
    assert len(reel(api, "viewer", "a")) == 2
    assert tray(api, "viewer") == [("viewer", True), ("c", False), ("b", False), ("a", True)]
    post_story(client, api, "a")  # a followee's new story waits for the tray's TTL...
    assert tray(api, "viewer")[-1] == ("a", True)
    at(client, T0 + timedelta(hours=5, seconds=31))
    assert tray(api, "viewer") == [("viewer", True), ("a", False), ("c", False), ("b", False)]


def test_following_and_unfollowing_refresh_the_tray_at_once(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    post_story(client, api, "alice")
    assert tray(api, "bob") == []
    api.as_("bob").post("/v1/users/alice/follow")
    assert tray(api, "bob") == [("alice", False)]
    api.as_("bob").delete("/v1/users/alice/follow")
    assert tray(api, "bob") == []
    api.as_("bob").post("/v1/users/alice/follow")
    assert tray(api, "bob") == [("alice", False)]
    api.as_("alice").post("/v1/users/bob/block")
    assert tray(api, "bob") == []


def test_viewing_writes_one_story_view_event_per_story(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    ids = [post_story(client, api, "alice")["id"] for _ in range(2)]
    for _ in range(3):
        assert reel(api, "bob", "alice") == ids
    assert reel(api, "alice", "alice") == ids  # the author's own views are not recorded
    alice_id, bob_id = (client.get(f"/v1/users/{name}").json()["id"] for name in ("alice", "bob"))
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        events = session.scalars(select(Event).where(Event.type == "story_view").order_by(Event.id)).all()
    assert [(e.actor_id, e.target_id, str(e.payload["story_id"])) for e in events] == [
        (bob_id, alice_id, story_id) for story_id in ids
    ]


def test_private_accounts_and_blocks_apply(client: TestClient, api: Api) -> None:
    api.signup("alice", private=True)
    for name in ("fan", "stranger", "enemy"):
        api.signup(name)
    post_story(client, api, "alice")
    api.as_("fan").post("/v1/users/alice/follow")
    request_id = api.as_("alice").get("/v1/follow-requests").json()["items"][0]["id"]
    api.as_("alice").post(f"/v1/follow-requests/{request_id}/approve")
    api.as_("enemy").post("/v1/users/alice/block")
    assert len(reel(api, "fan", "alice")) == 1
    assert api.as_("stranger").get("/v1/users/alice/stories").status_code == 403
    assert api.as_("enemy").get("/v1/users/alice/stories").status_code == 404
    assert api.as_("alice").get("/v1/users/enemy/stories").status_code == 404
    assert api.as_("fan").get("/v1/users/nobody/stories").status_code == 404
    assert client.get("/v1/users/alice/stories").status_code == 401
    assert tray(api, "stranger") == []


def test_viewers_are_for_the_author_only(client: TestClient, api: Api) -> None:
    for name in ("alice", "bob", "carol", "dave"):
        api.signup(name)
    at(client, T0)
    story_id = post_story(client, api, "alice")["id"]
    for minutes, name in ((1, "bob"), (2, "carol")):
        at(client, T0 + timedelta(minutes=minutes))
        reel(api, name, "alice")
    alice = api.as_("alice")
    first = alice.get(f"/v1/stories/{story_id}/viewers", params={"limit": 1}).json()
    rest = alice.get(f"/v1/stories/{story_id}/viewers", params={"cursor": first["next_cursor"]}).json()
    assert [v["user"]["username"] for v in first["items"] + rest["items"]] == ["carol", "bob"]
    assert rest["next_cursor"] is None
    assert api.as_("bob").get(f"/v1/stories/{story_id}/viewers").status_code == 403
    assert alice.get("/v1/stories/12345/viewers").status_code == 404
    api.as_("alice").post("/v1/users/dave/block")
    assert api.as_("dave").get(f"/v1/stories/{story_id}/viewers").status_code == 404
    at(client, T0 + timedelta(hours=25))
    assert api.as_("bob").get(f"/v1/stories/{story_id}/viewers").status_code == 404  # expired for others
    assert alice.get(f"/v1/stories/{story_id}/viewers").status_code == 200


def test_only_the_author_deletes_a_story(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    api.as_("bob").post("/v1/users/alice/follow")
    story_id = post_story(client, api, "alice")["id"]
    assert tray(api, "bob") == [("alice", False)]
    assert api.as_("bob").delete(f"/v1/stories/{story_id}").status_code == 403
    assert api.as_("alice").delete(f"/v1/stories/{story_id}").status_code == 204
    assert api.as_("alice").delete(f"/v1/stories/{story_id}").status_code == 404
    assert reel(api, "bob", "alice") == []
    assert api.as_("alice").get(f"/v1/stories/{story_id}/viewers").status_code == 404


@pytest.mark.parametrize("backend", ["fake", "redis"])
def test_tray_cache_versions_and_bounds(backend: str) -> None:
    if backend == "redis":
        need_service("redis", bool(REDIS_URL))
    client = open_redis(REDIS_URL if backend == "redis" else None)
    cache = TrayCache(client, ttl_s=30, prefix=f"pixelrank-test:{uuid.uuid4()}")
    items = [{"user": "alice"}]
    try:
        before = cache.lookup(7, T0)
        assert before.items is None
        cache.store(7, before, items, T0, changes_at=T0 + timedelta(seconds=10))
        assert cache.lookup(7, T0 + timedelta(seconds=9)).items == items
        assert cache.lookup(7, T0 + timedelta(seconds=10)).items is None  # its first story expired
        assert cache.lookup(8, T0).items is None
        cache.invalidate(7)
        assert cache.lookup(7, T0).items is None
        cache.store(7, before, items, T0, changes_at=None)  # computed before the invalidation: never served
        assert cache.lookup(7, T0).items is None
        cache.store(7, cache.lookup(7, T0), items, T0, changes_at=None)
        assert cache.lookup(7, T0 + timedelta(seconds=29)).items == items
        assert cache.lookup(7, T0 + timedelta(seconds=30)).items is None  # the TTL, in the request clock
    finally:
        client.delete(*client.keys(f"{cache.prefix}:*") or ["none"])

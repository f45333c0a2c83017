from __future__ import annotations

from fastapi.testclient import TestClient

from tests.serving.conftest import Api


def test_profile_read_and_update(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    update = api.as_("alice").patch("/v1/users/alice", json={"bio": "photos", "full_name": "Alice A"})
    assert update.status_code == 200
    assert update.json()["bio"] == "photos"
    public = client.get("/v1/users/alice").json()
    assert (public["full_name"], public["relation"]) == ("Alice A", None)
    assert api.as_("bob").patch("/v1/users/alice", json={"bio": "hacked"}).status_code == 403
    assert api.as_("alice").patch("/v1/users/alice", json={"bio": "x" * 151}).status_code == 422
    assert api.as_("alice").patch("/v1/users/alice", json={"profile_picture_id": 12345}).status_code == 422
    assert client.get("/v1/users/nobody").status_code == 404


def test_counts_follow_the_actions(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    api.as_("bob").post("/v1/users/alice/follow")
    api.post("alice")
    alice = client.get("/v1/users/alice").json()
    assert (alice["followers_count"], alice["following_count"], alice["posts_count"]) == (1, 0, 1)
    assert client.get("/v1/users/bob").json()["following_count"] == 1


def test_user_posts_paginate_newest_first(client: TestClient, api: Api) -> None:
    api.signup("alice")
    ids = [api.post("alice", f"post {i}") for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/users/alice/posts", params=params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1]
    assert client.get("/v1/users/alice/posts", params={"cursor": "garbage!"}).status_code == 422
    assert client.get("/v1/users/alice/posts", params={"limit": 0}).status_code == 422
    assert client.get("/v1/users/alice/posts", params={"limit": 101}).status_code == 422

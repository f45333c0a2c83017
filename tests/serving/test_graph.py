from __future__ import annotations

from fastapi.testclient import TestClient

from tests.serving.conftest import Api


def test_follow_unfollow_is_idempotent(client: TestClient, api: Api) -> None:
    api.signup("alice")
    bob = api.as_("bob") if api.signup("bob") else None
    assert bob is not None
    for _ in range(2):
        assert bob.post("/v1/users/alice/follow").json() == {"status": "following"}
    assert client.get("/v1/users/alice").json()["followers_count"] == 1
    assert [u["username"] for u in client.get("/v1/users/alice/followers").json()["items"]] == ["bob"]
    assert [u["username"] for u in client.get("/v1/users/bob/following").json()["items"]] == ["alice"]
    for _ in range(2):
        assert bob.delete("/v1/users/alice/follow").json() == {"status": "none"}
    assert client.get("/v1/users/alice").json()["followers_count"] == 0


def test_follow_bad_input(api: Api) -> None:
    api.signup("alice")
    assert api.as_("alice").post("/v1/users/alice/follow").status_code == 422
    assert api.as_("alice").post("/v1/users/nobody/follow").status_code == 404


def test_followers_paginate_without_gaps(client: TestClient, api: Api) -> None:
    api.signup("star")
    fans = [f"fan{i}" for i in range(7)]
    for fan in fans:
        api.signup(fan)
        api.as_(fan).post("/v1/users/star/follow")
    seen, cursor = [], None
    while True:
        params = {"limit": 3} | ({"cursor": cursor} if cursor else {})
        page = client.get("/v1/users/star/followers", params=params).json()
        seen += [u["username"] for u in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert sorted(seen) == sorted(fans)
    assert len(seen) == len(set(seen))


def test_private_account_needs_approval(client: TestClient, api: Api) -> None:
    api.signup("alice", private=True)
    api.signup("bob")
    api.signup("carol")
    post_id = api.post("alice")
    assert api.as_("bob").post("/v1/users/alice/follow").json() == {"status": "requested"}
    assert api.as_("carol").post("/v1/users/alice/follow").json() == {"status": "requested"}
    assert api.as_("bob").get("/v1/users/alice").json()["relation"] == "requested"
    for viewer in (api.as_("bob"), client):
        assert viewer.get(f"/v1/posts/{post_id}").status_code == 404
        assert viewer.get("/v1/users/alice/posts").status_code == 403
        assert viewer.get("/v1/users/alice/followers").status_code == 403
    requests = api.as_("alice").get("/v1/follow-requests").json()["items"]
    by_name = {r["requester"]["username"]: r["id"] for r in requests}
    assert api.as_("bob").post(f"/v1/follow-requests/{by_name['bob']}/approve").status_code == 404  # not bob's
    assert api.as_("alice").post(f"/v1/follow-requests/{by_name['bob']}/approve").status_code == 204
    assert api.as_("alice").post(f"/v1/follow-requests/{by_name['carol']}/deny").status_code == 204
    assert api.as_("alice").post(f"/v1/follow-requests/{by_name['carol']}/deny").status_code == 404
    assert api.as_("bob").get(f"/v1/posts/{post_id}").status_code == 200
    assert [p["id"] for p in api.as_("bob").get("/v1/users/alice/posts").json()["items"]] == [post_id]
    assert api.as_("carol").get(f"/v1/posts/{post_id}").status_code == 404
    assert client.get(f"/v1/posts/{post_id}").status_code == 404
    assert client.get("/v1/users/alice").json()["followers_count"] == 1


def test_block_works_both_ways(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    api.as_("alice").post("/v1/users/bob/follow")
    api.as_("bob").post("/v1/users/alice/follow")
    alice_post, bob_post = api.post("alice"), api.post("bob")
    assert api.as_("alice").post("/v1/users/bob/block").status_code == 204
    for me, other, post_id in (("alice", "bob", bob_post), ("bob", "alice", alice_post)):
        actor = api.as_(me)
        assert actor.get(f"/v1/users/{other}").status_code == 404
        assert actor.get(f"/v1/posts/{post_id}").status_code == 404
        assert actor.post(f"/v1/posts/{post_id}/like").status_code == 404
        assert actor.post(f"/v1/posts/{post_id}/comments", json={"text": "hi"}).status_code == 404
        assert actor.post(f"/v1/users/{other}/follow").status_code == 404
    for name in ("alice", "bob"):
        user = client.get(f"/v1/users/{name}").json()
        assert (user["followers_count"], user["following_count"]) == (0, 0)
    assert api.as_("alice").delete("/v1/users/bob/block").status_code == 204
    assert api.as_("alice").get(f"/v1/posts/{bob_post}").status_code == 200
    assert api.as_("alice").post("/v1/users/alice/block").status_code == 422

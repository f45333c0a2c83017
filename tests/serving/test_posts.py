from __future__ import annotations

from fastapi.testclient import TestClient

from tests.serving.conftest import Api


def test_create_get_delete(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    media_id = api.upload("alice")
    caption = "Sunset #Beach #travel with @bob and @nobody"
    created = api.as_("alice").post(
        "/v1/posts", json={"caption": caption, "location": "Lisbon", "media_ids": [media_id]}
    )
    assert created.status_code == 201
    post = created.json()
    assert isinstance(post["id"], str)
    assert post["hashtags"] == ["beach", "travel"]
    assert (post["author"]["username"], post["location"], post["like_count"]) == ("alice", "Lisbon", 0)
    assert [m["id"] for m in post["media"]] == [media_id]
    assert {(v["size"], v["format"]) for v in post["media"][0]["variants"]} >= {
        ("thumbnail", "jpeg"),
        ("large", "webp"),
    }
    assert client.get(f"/v1/posts/{post['id']}").json()["caption"] == post["caption"]
    assert api.as_("bob").delete(f"/v1/posts/{post['id']}").status_code == 403
    assert api.as_("alice").delete(f"/v1/posts/{post['id']}").status_code == 204
    assert client.get(f"/v1/posts/{post['id']}").status_code == 404
    assert client.get("/v1/users/alice").json()["posts_count"] == 0


def test_create_rejects_bad_input(api: Api) -> None:
    api.signup("alice")
    alice = api.as_("alice")
    media_id = api.upload("alice")
    assert alice.post("/v1/posts", json={"caption": "x" * 2201, "media_ids": [media_id]}).status_code == 422
    no_media = alice.post("/v1/posts", json={"caption": "x"})
    assert (no_media.status_code, no_media.json()["detail"]) == (422, "a post takes 1 to 10 media")
    assert alice.post("/v1/posts", json={"caption": "x", "media_ids": [1]}).status_code == 422
    api.signup("bob")
    bobs = api.upload("bob")
    assert alice.post("/v1/posts", json={"media_ids": [bobs]}).json()["detail"].startswith("media must be your own")
    assert alice.post("/v1/posts", json={"media_ids": [media_id]}).status_code == 201
    assert alice.post("/v1/posts", json={"media_ids": [media_id]}).status_code == 422  # already used
    assert alice.post("/v1/posts", json={"caption": "x", "media_ids": list(range(11))}).status_code == 422
    assert alice.post("/v1/posts", json={"caption": 5}).status_code == 422
    assert (
        alice.post("/v1/posts", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422
    )
    assert alice.get("/v1/posts/999").status_code == 404
    assert alice.get("/v1/posts/not-a-number").status_code == 422


def test_like_unlike_save_hide(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    post_id = api.post("alice")
    bob = api.as_("bob")
    assert bob.post(f"/v1/posts/{post_id}/like").json() == {"liked": True, "like_count": 1}
    assert bob.post(f"/v1/posts/{post_id}/like").json() == {"liked": True, "like_count": 1}  # twice: no change
    assert bob.get(f"/v1/posts/{post_id}").json()["liked_by_me"] is True
    assert api.as_("alice").get(f"/v1/posts/{post_id}").json()["liked_by_me"] is False
    assert bob.delete(f"/v1/posts/{post_id}/like").json() == {"liked": False, "like_count": 0}
    assert bob.delete(f"/v1/posts/{post_id}/like").json() == {"liked": False, "like_count": 0}
    assert bob.post(f"/v1/posts/{post_id}/save").json() == {"saved": True, "save_count": 1}
    assert bob.delete(f"/v1/posts/{post_id}/save").json() == {"saved": False, "save_count": 0}
    assert bob.post(f"/v1/posts/{post_id}/hide").status_code == 204
    assert bob.post(f"/v1/posts/{post_id}/hide").status_code == 204
    assert client.post(f"/v1/posts/{post_id}/like").status_code == 401
    assert bob.post("/v1/posts/12345/like").status_code == 404


def test_comments(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    api.signup("carol")
    post_id = api.post("alice")
    ids = []
    for i in range(3):
        response = api.as_("bob").post(f"/v1/posts/{post_id}/comments", json={"text": f"nice {i}"})
        assert response.status_code == 201
        ids.append(response.json()["id"])
    page = client.get(f"/v1/posts/{post_id}/comments", params={"limit": 2}).json()
    rest = client.get(f"/v1/posts/{post_id}/comments", params={"cursor": page["next_cursor"]}).json()
    assert [c["text"] for c in page["items"] + rest["items"]] == ["nice 0", "nice 1", "nice 2"]
    assert rest["next_cursor"] is None
    bob, carol, alice = api.as_("bob"), api.as_("carol"), api.as_("alice")
    assert bob.post(f"/v1/posts/{post_id}/comments", json={"text": "x" * 2201}).status_code == 422
    assert bob.post(f"/v1/posts/{post_id}/comments", json={"text": "   "}).status_code == 422
    assert carol.delete(f"/v1/posts/{post_id}/comments/{ids[0]}").status_code == 403
    assert bob.delete(f"/v1/posts/{post_id}/comments/{ids[0]}").status_code == 204  # its author
    assert alice.delete(f"/v1/posts/{post_id}/comments/{ids[1]}").status_code == 204  # the post's owner
    assert alice.delete(f"/v1/posts/{post_id}/comments/{ids[1]}").status_code == 404
    assert client.get(f"/v1/posts/{post_id}").json()["comment_count"] == 1

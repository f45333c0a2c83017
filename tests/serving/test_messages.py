from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from social_core.models import Event
from tests.factories import make_media
from tests.serving.conftest import Api


def start(api: Api, username: str, *others: str, status: int = 201) -> dict[str, Any]:
    response = api.as_(username).post("/v1/threads", json={"usernames": list(others)})
    assert response.status_code == status, response.text
    thread: dict[str, Any] = response.json()
    return thread


def send(api: Api, username: str, thread_id: str, text: str = "hi") -> dict[str, Any]:
    response = api.as_(username).post(f"/v1/threads/{thread_id}/messages", json={"text": text})
    assert response.status_code == 201, response.text
    message: dict[str, Any] = response.json()
    return message


def inbox(api: Api, username: str, folder: str = "inbox", **params: Any) -> dict[str, Any]:
    response = api.as_(username).get("/v1/threads", params={"folder": folder} | params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


def test_one_to_one_threads_are_reused_and_groups_are_not(api: Api) -> None:
    for name in ("alice", "bob", "carol"):
        api.signup(name)
    thread = start(api, "alice", "bob")
    assert (thread["is_group"], [p["username"] for p in thread["participants"]]) == (False, ["alice", "bob"])
    assert start(api, "alice", "BOB", "alice", status=200)["id"] == thread["id"]
    assert start(api, "bob", "alice", status=200)["id"] == thread["id"]
    group = start(api, "alice", "bob", "carol")
    assert group["is_group"] is True
    assert start(api, "alice", "bob", "carol")["id"] != group["id"]


def test_thread_creation_rules(api: Api) -> None:
    for name in ("alice", "bob", "enemy"):
        api.signup(name)
    api.as_("enemy").post("/v1/users/alice/block")
    alice = api.as_("alice")
    assert alice.post("/v1/threads", json={"usernames": []}).status_code == 422
    assert alice.post("/v1/threads", json={"usernames": ["alice"]}).status_code == 422
    assert alice.post("/v1/threads", json={"usernames": [f"user{i}" for i in range(32)]}).status_code == 422
    assert alice.post("/v1/threads", json={"usernames": ["bob", "nobody"]}).status_code == 404
    assert alice.post("/v1/threads", json={"usernames": ["enemy"]}).status_code == 404
    assert api.as_("enemy").post("/v1/threads", json={"usernames": ["bob", "alice"]}).status_code == 404
    assert api.client.post("/v1/threads", json={"usernames": ["bob"]}).status_code == 401


def test_only_participants_reach_a_thread_and_blocks_stop_sending(api: Api) -> None:
    for name in ("alice", "bob", "eve"):
        api.signup(name)
    thread_id = start(api, "alice", "bob")["id"]
    send(api, "alice", thread_id)
    send(api, "bob", thread_id)
    eve = api.as_("eve")
    for method, path in (
        ("get", ""),
        ("get", "/messages"),
        ("post", "/messages"),
        ("post", "/read"),
        ("post", "/accept"),
    ):
        kwargs = {"json": {"text": "hi"}} if path == "/messages" and method == "post" else {}
        assert getattr(eve, method)(f"/v1/threads/{thread_id}{path}", **kwargs).status_code == 404, path
    assert api.as_("alice").get("/v1/threads/999").status_code == 404
    api.as_("bob").post("/v1/users/alice/block")
    for sender in ("alice", "bob"):
        response = api.as_(sender).post(f"/v1/threads/{thread_id}/messages", json={"text": "still there?"})
        assert response.status_code == 403, sender
    assert len(api.as_("alice").get(f"/v1/threads/{thread_id}/messages").json()["items"]) == 2  # history stays
    api.as_("bob").delete("/v1/users/alice/block")
    send(api, "alice", thread_id, "hello again")


def test_message_content(client: TestClient, api: Api) -> None:
    api.signup("alice")
    api.signup("bob")
    api.signup("secret", private=True)
    thread_id = start(api, "alice", "bob")["id"]
    alice = api.as_("alice")
    url = f"/v1/threads/{thread_id}/messages"
    alice_id, bob_id = (client.get(f"/v1/users/{name}").json()["id"] for name in ("alice", "bob"))
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        mine, theirs = str(make_media(session, alice_id).id), str(make_media(session, bob_id).id)
    public_post, hidden_post = api.post("bob"), api.post("secret")
    for body in ({}, {"text": "hi", "post_id": public_post}, {"text": "   "}, {"text": "x" * 1001}):
        assert alice.post(url, json=body).status_code == 422, body
    assert alice.post(url, json={"post_id": hidden_post}).status_code == 422
    assert alice.post(url, json={"media_id": theirs}).status_code == 422
    assert send(api, "alice", thread_id, "x" * 1000)["kind"] == "text"
    shared = alice.post(url, json={"post_id": public_post}).json()
    assert (shared["kind"], shared["post_id"], shared["text"]) == ("post", public_post, None)
    photo = alice.post(url, json={"media_id": mine}).json()
    assert photo["kind"] == "media"
    assert f"/media/{mine}_thumbnail.jpeg" in {v["url"] for v in photo["media"]["variants"]}
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        events = session.scalars(select(Event).where(Event.type == "message_sent").order_by(Event.id)).all()
    assert [(e.actor_id, e.target_id, e.payload["kind"]) for e in events] == [
        (alice_id, bob_id, "text"),
        (alice_id, bob_id, "post"),
        (alice_id, bob_id, "media"),
    ]
    assert all(str(e.payload["thread_id"]) == thread_id for e in events)


def test_messages_from_strangers_wait_in_requests(api: Api) -> None:
    for name in ("alice", "bob", "carol"):
        api.signup(name)
    api.as_("carol").post("/v1/users/alice/follow")
    to_bob = start(api, "alice", "bob")["id"]
    to_carol = start(api, "alice", "carol")["id"]
    assert inbox(api, "bob", "requests")["items"] == []  # nothing said yet
    send(api, "alice", to_bob)
    send(api, "alice", to_carol)
    assert [t["id"] for t in inbox(api, "bob", "requests")["items"]] == [to_bob]
    assert inbox(api, "bob")["items"] == []
    assert [t["id"] for t in inbox(api, "carol")["items"]] == [to_carol]  # carol follows alice
    assert [t["id"] for t in inbox(api, "alice")["items"]] == [to_carol, to_bob]
    assert api.as_("bob").get(f"/v1/threads/{to_bob}").json()["folder"] == "requests"
    assert api.as_("bob").post(f"/v1/threads/{to_bob}/accept").status_code == 204
    assert api.as_("bob").post(f"/v1/threads/{to_bob}/accept").status_code == 204
    assert [t["id"] for t in inbox(api, "bob")["items"]] == [to_bob]
    assert inbox(api, "bob", "requests")["items"] == []
    assert api.as_("bob").get("/v1/threads", params={"folder": "spam"}).status_code == 422


def test_threads_and_messages_paginate_by_recent_activity(api: Api) -> None:
    api.signup("alice")
    friends = [f"friend{i}" for i in range(5)]
    for name in friends:
        api.signup(name)
        api.as_("alice").post(f"/v1/users/{name}/follow")
    ids = [start(api, name, "alice")["id"] for name in friends]
    for thread_id, name in zip(ids, friends, strict=True):
        send(api, name, thread_id)
    send(api, "alice", ids[0], "bump")  # the oldest thread is now the most recent
    seen, cursor = [], None
    while True:
        page = inbox(api, "alice", limit=2, **({"cursor": cursor} if cursor else {}))
        seen += [t["id"] for t in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert seen == [ids[0], ids[4], ids[3], ids[2], ids[1]]
    texts = [send(api, "alice", ids[1], f"m{i}")["text"] for i in range(5)]
    got, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = api.as_("alice").get(f"/v1/threads/{ids[1]}/messages", params=params).json()
        got += [m["text"] for m in page["items"]]
        if not (cursor := page["next_cursor"]):
            break
    assert got == [*reversed(texts), "hi"]


def test_unread_counts_and_read_receipts(client: TestClient, api: Api) -> None:
    for name in ("alice", "bob", "carol"):
        api.signup(name)
    thread_id = start(api, "alice", "bob")["id"]
    other_thread = start(api, "alice", "carol")["id"]
    messages = [send(api, "alice", thread_id, f"m{i}")["id"] for i in range(3)]
    other_message = send(api, "alice", other_thread)["id"]
    bob = api.as_("bob")

    def unread(username: str) -> int:
        count: int = api.as_(username).get(f"/v1/threads/{thread_id}").json()["unread_count"]
        return count

    assert (unread("bob"), unread("alice")) == (3, 0)
    assert inbox(api, "bob", "requests")["items"][0]["unread_count"] == 3
    state = bob.post(f"/v1/threads/{thread_id}/read", json={"message_id": messages[1]}).json()
    assert state == {"thread_id": thread_id, "last_read_message_id": messages[1], "unread_count": 1}
    back = bob.post(f"/v1/threads/{thread_id}/read", json={"message_id": messages[0]}).json()
    assert back["last_read_message_id"] == messages[1]  # receipts never move back
    assert bob.post(f"/v1/threads/{thread_id}/read", json={"message_id": other_message}).status_code == 422
    assert bob.post(f"/v1/threads/{thread_id}/read").json()["unread_count"] == 0
    assert bob.get(f"/v1/threads/{thread_id}").json()["last_read_message_id"] == messages[2]
    send(api, "bob", thread_id, "reply")  # replying accepts and counts as read for the sender
    assert (unread("bob"), unread("alice")) == (0, 1)
    assert bob.get(f"/v1/threads/{thread_id}").json()["folder"] == "inbox"
    with client.app.state.sessions() as session:  # type: ignore[attr-defined]
        reads = session.scalars(select(Event).where(Event.type == "message_read")).all()
        created = session.scalars(select(Event).where(Event.type == "thread_created")).all()
    assert [str(e.payload["message_id"]) for e in reads] == [messages[1], messages[2]]
    assert len(created) == 2

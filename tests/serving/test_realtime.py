from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets.sync.client
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from serving.realtime import Broker, Event, InProcessBroker, RedisBroker
from social_core import migrate
from social_core.db import make_engine
from tests.conftest import REDIS_URL, need_service
from tests.servers import free_port, wait_healthy
from tests.serving.conftest import Api

WAIT_S = 5.0


def receive(ws: WebSocketTestSession, timeout: float = WAIT_S) -> Any:
    """`receive_json`, failing after `timeout` instead of hanging the run."""
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        return pool.submit(ws.receive_json).result(timeout)
    finally:
        pool.shutdown(wait=False)


def test_bad_or_missing_token_closes_with_4401(client: TestClient, api: Api) -> None:
    api.signup("alice")
    for url, headers in (
        ("/v1/ws", {}),
        ("/v1/ws?token=nope", {}),
        ("/v1/ws", {"Authorization": "Bearer nope"}),
        ("/v1/ws", {"Authorization": f"Basic {api.tokens['alice']}"}),
    ):
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(url, headers=headers) as ws:
            receive(ws)
        assert closed.value.code == 4401, url


def test_messages_and_read_receipts_reach_connected_participants(client: TestClient, api: Api) -> None:
    for name in ("alice", "bob", "carol"):
        api.signup(name)
    thread_id = api.as_("alice").post("/v1/threads", json={"usernames": ["bob"]}).json()["id"]
    carol_thread = api.as_("alice").post("/v1/threads", json={"usernames": ["carol"]}).json()["id"]
    with (
        client.websocket_connect(f"/v1/ws?token={api.tokens['alice']}") as alice,
        client.websocket_connect("/v1/ws", headers=api.auth("bob")) as bob,
        client.websocket_connect(f"/v1/ws?token={api.tokens['carol']}") as carol,
    ):
        sent = api.as_("bob").post(f"/v1/threads/{thread_id}/messages", json={"text": "hello"}).json()
        for ws in (alice, bob):  # the sender's other devices hear it too
            event = receive(ws)
            assert (event["type"], event["thread_id"], event["message"]) == ("message", thread_id, sent)
        api.as_("alice").post(f"/v1/threads/{thread_id}/read")
        alice_id = client.get("/v1/users/alice").json()["id"]
        expected = {"type": "read", "thread_id": thread_id, "user_id": alice_id, "message_id": sent["id"]}
        assert receive(bob) == expected
        assert receive(alice) == expected
        api.as_("alice").post(f"/v1/threads/{carol_thread}/messages", json={"text": "just you"})
        assert receive(carol)["message"]["text"] == "just you"  # and nothing of the thread she is not in
        assert receive(alice)["message"]["text"] == "just you"


@pytest.mark.parametrize("kind", ["memory", "redis"])
def test_broker_contract(kind: str) -> None:
    """Every broker: what is published after `start` reaches `deliver`, in order, with its recipients."""
    if kind == "redis":
        need_service("redis", bool(REDIS_URL))
    make: dict[str, Callable[[], Broker]] = {
        "memory": InProcessBroker,
        "redis": lambda: RedisBroker(REDIS_URL or "", f"pixelrank-test:{uuid.uuid4()}"),
    }

    async def scenario() -> list[tuple[list[int], Event]]:
        got: list[tuple[list[int], Event]] = []
        broker = make[kind]()
        broker.publish([9], {"n": -1})  # before start: dropped or unheard, never an error
        await broker.start(lambda users, event: got.append((users, event)))
        try:
            for n in range(3):
                await asyncio.to_thread(broker.publish, [1, 2], {"n": n})  # routes publish from worker threads
            deadline = time.monotonic() + WAIT_S
            while len(got) < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        finally:
            await broker.stop()
        return got

    assert asyncio.run(scenario()) == [([1, 2], {"n": n}) for n in range(3)]


@pytest.fixture
def two_servers(db_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two uvicorn processes on one database and one Redis channel of their own."""
    need_service("redis", bool(REDIS_URL))
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    engine.dispose()
    env = os.environ | {
        "PIXELRANK_HOME": str(tmp_path / "home"),
        "DATABASE_URL": db_url,
        "REDIS_URL": REDIS_URL or "",
        "PIXELRANK_REALTIME_CHANNEL": f"pixelrank-test:{uuid.uuid4()}",
    }
    processes: list[subprocess.Popen[bytes]] = []
    bases = []
    try:
        for name in ("a", "b"):
            port, log = free_port(), tmp_path / f"server-{name}.log"
            command = [sys.executable, "-m", "uvicorn", "serving.app:create_app", "--factory"]
            command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
            with log.open("wb") as out:
                processes.append(subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT))
            bases.append(f"http://127.0.0.1:{port}")
            wait_healthy(processes[-1], bases[-1], log)
        yield bases[0], bases[1]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


def _token(http: httpx.Client, username: str) -> str:
    body = {"username": username, "email": f"{username}@example.com", "password": "password123"}
    assert http.post("/v1/auth/signup", json=body).status_code == 201
    response = http.post("/v1/auth/token", data={"username": username, "password": "password123"})
    token: str = response.json()["access_token"]
    return token


@pytest.mark.slow
def test_delivery_crosses_server_processes_through_redis(two_servers: tuple[str, str]) -> None:
    base_a, base_b = two_servers
    with httpx.Client(base_url=base_a, timeout=WAIT_S) as a:
        alice, bob = _token(a, "alice"), _token(a, "bob")
        thread = a.post("/v1/threads", json={"usernames": ["bob"]}, headers={"Authorization": f"Bearer {alice}"})
        thread_id = thread.json()["id"]
        ws_url = base_b.replace("http://", "ws://") + f"/v1/ws?token={bob}"
        with websockets.sync.client.connect(ws_url, open_timeout=WAIT_S, close_timeout=1) as socket_on_b:
            sent = a.post(
                f"/v1/threads/{thread_id}/messages",
                json={"text": "across"},
                headers={"Authorization": f"Bearer {alice}"},
            )
            assert sent.status_code == 201, sent.text
            event = json.loads(socket_on_b.recv(timeout=WAIT_S))
    assert (event["type"], event["thread_id"], event["message"]["text"]) == ("message", thread_id, "across")
    assert event["message"]["id"] == sent.json()["id"]


def test_redis_broker_starts_and_stops_without_redis() -> None:
    """An unreachable Redis degrades live delivery (and /readyz says so); it never stops the server."""

    async def scenario() -> None:
        broker = RedisBroker("redis://127.0.0.1:1/0", "pixelrank-test:nowhere")
        await broker.start(lambda users, event: None)
        await asyncio.to_thread(broker.publish, [1], {"n": 1})
        await asyncio.sleep(0.1)
        await broker.stop()

    asyncio.run(asyncio.wait_for(scenario(), timeout=WAIT_S * 2))

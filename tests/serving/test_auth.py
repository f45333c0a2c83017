from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.serving.conftest import Api


def test_signup_login_logout(client: TestClient, api: Api) -> None:
    created = client.post("/v1/auth/signup", json={"username": "Alice", "email": "a@x.io", "password": "password123"})
    assert created.status_code == 201
    assert created.json()["username"] == "alice"
    token = client.post("/v1/auth/token", data={"username": "alice", "password": "password123"}).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/users/alice", headers=headers).json()["relation"] == "self"
    assert client.post("/v1/auth/logout", headers=headers).status_code == 204
    revoked = client.get("/v1/users/alice", headers=headers)
    assert revoked.status_code == 401
    assert revoked.json() == {"detail": "invalid or expired token"}


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"username": "bob", "email": "b@x.io", "password": "short"}, 422, "password must be at least 8 characters"),
        ({"username": "bad name!", "email": "b@x.io", "password": "password123"}, 422, "username must be"),
        ({"username": "x" * 31, "email": "b@x.io", "password": "password123"}, 422, "username must be"),
        ({"username": "bob", "email": "not-an-email", "password": "password123"}, 422, "email"),
        ({"username": "ALICE", "email": "b@x.io", "password": "password123"}, 409, "username is taken"),
        ({"username": "bob", "email": "ALICE@example.com", "password": "password123"}, 409, "email is already"),
    ],
)
def test_signup_rejects_bad_input(client: TestClient, api: Api, body: dict[str, str], status: int, detail: str) -> None:
    api.signup("alice")
    response = client.post("/v1/auth/signup", json=body)
    assert response.status_code == status
    assert detail in response.json()["detail"]


def test_wrong_password_and_bad_tokens_are_401(client: TestClient, api: Api) -> None:
    api.signup("alice")
    assert client.post("/v1/auth/token", data={"username": "alice", "password": "wrong-password"}).status_code == 401
    assert client.post("/v1/auth/token", data={"username": "nobody", "password": "password123"}).status_code == 401
    assert client.post("/v1/posts", json={"caption": "x"}).status_code == 401
    bad = client.post("/v1/posts", json={"caption": "x"}, headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"

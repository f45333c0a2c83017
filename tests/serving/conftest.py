"""The app on each backend, and factories that act through the public API."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image

from serving.app import create_app
from serving.settings import Settings


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", database_url=db_url, redis_url=None, media_avif=False, relay="off")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


class Api:
    """Signs users up and acts as them, so tests read as stories."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        self.tokens: dict[str, str] = {}
        self.posted = 0

    def signup(self, username: str, *, private: bool = False) -> dict[str, str]:
        response = self.client.post(
            "/v1/auth/signup",
            json={"username": username, "email": f"{username}@example.com", "password": "password123"},
        )
        assert response.status_code == 201, response.text
        token = self.client.post("/v1/auth/token", data={"username": username, "password": "password123"})
        self.tokens[username] = token.json()["access_token"]
        if private:
            assert self.as_(username).patch(f"/v1/users/{username}", json={"is_private": True}).status_code == 200
        return self.auth(username)

    def auth(self, username: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    def as_(self, username: str) -> _As:
        return _As(self.client, self.auth(username))

    def upload(self, username: str, data: bytes | None = None) -> str:
        files = {"file": ("photo.jpg", data or tiny_jpeg(), "image/jpeg")}
        response = self.as_(username).post("/v1/media", files=files)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def post(self, username: str, caption: str = "hello #world", picture: bytes | None = None) -> str:
        """A post of its own picture (unless given one): posts of one picture are near-duplicates."""
        self.posted += 1
        body = {"caption": caption, "media_ids": [self.upload(username, picture or tiny_jpeg(self.posted))]}
        response = self.as_(username).post("/v1/posts", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])


@functools.cache
def tiny_jpeg(seed: int = 0) -> bytes:
    """A small JPEG, a different picture per seed (random blocks: their perceptual hashes lie far apart)."""
    blocks = np.random.default_rng(seed).integers(0, 256, size=(6, 5, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(blocks).resize((48, 60), Image.Resampling.BILINEAR).save(buffer, "JPEG")
    return buffer.getvalue()


class _As:
    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def __getattr__(self, method: str) -> Any:
        call = getattr(self.client, method)
        return lambda url, headers=None, **kwargs: call(url, headers=self.headers | (headers or {}), **kwargs)


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)

from __future__ import annotations

from fastapi.testclient import TestClient

from serving.app import create_app
from serving.settings import Settings
from tests.conftest import REDIS_URL, need_service


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok"}
    assert "/v1/posts" in client.get("/openapi.json").json()["paths"]


def test_readiness_checks_a_configured_redis(settings: Settings) -> None:
    need_service("redis", bool(REDIS_URL))
    with TestClient(create_app(settings.model_copy(update={"redis_url": REDIS_URL}))) as client:
        assert client.get("/readyz").json()["checks"] == {"database": "ok", "redis": "ok"}
    unreachable = settings.model_copy(update={"redis_url": "redis://127.0.0.1:1/0"})
    with TestClient(create_app(unreachable)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"].startswith("error")


def test_web_client_is_served(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/app/"
    page = client.get("/app/")
    assert page.status_code == 200
    assert "<title>pixelrank</title>" in page.text
    module = client.get("/app/js/main.js")  # ES modules: the browser runs them only with a JavaScript type
    assert module.headers["content-type"].startswith("text/javascript")
    assert "export async function api(" in client.get("/app/js/api.js").text

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from serving.app import create_app
from serving.logs import JsonFormatter
from serving.request_id import HEADER
from serving.settings import Settings

log = logging.getLogger("tests.request_id")


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.get("/_test/log-async")
    async def log_async() -> dict[str, str]:
        log.warning("inside an async endpoint")
        return {}

    @app.get("/_test/log-sync")
    def log_sync() -> dict[str, str]:  # runs in the thread pool: the id must follow it there
        log.warning("inside a sync endpoint")
        return {}

    return app


@pytest.fixture
def test_client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


def test_a_fresh_id_is_made_when_none_is_sent(test_client: TestClient) -> None:
    first = test_client.get("/healthz").headers[HEADER]
    second = test_client.get("/healthz").headers[HEADER]
    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second


def test_the_clients_id_is_echoed_unless_it_is_unsafe(test_client: TestClient) -> None:
    assert test_client.get("/healthz", headers={HEADER: "abc-123.x"}).headers[HEADER] == "abc-123.x"
    replaced = test_client.get("/healthz", headers={HEADER: "<script> and spaces"}).headers[HEADER]
    assert replaced != "<script> and spaces" and len(replaced) == 32
    assert test_client.get("/nowhere", headers={HEADER: "lost-1"}).headers[HEADER] == "lost-1"  # 404 too


@pytest.mark.parametrize("path", ["/_test/log-async", "/_test/log-sync"])
def test_log_records_inside_a_request_carry_its_id(
    test_client: TestClient, caplog: pytest.LogCaptureFixture, path: str
) -> None:
    with caplog.at_level(logging.WARNING, logger="tests.request_id"):
        response = test_client.get(path, headers={HEADER: "req-42"})
        log.warning("outside any request")
    assert response.status_code == 200
    inside, outside = [r for r in caplog.records if r.name == "tests.request_id"]
    assert inside.request_id == "req-42"  # type: ignore[attr-defined]
    assert outside.request_id == "-"  # type: ignore[attr-defined]
    line = json.loads(JsonFormatter().format(inside))
    assert (line["request_id"], line["level"], line["message"]) == ("req-42", "WARNING", inside.getMessage())


def test_json_lines_carry_extra_fields_and_exceptions() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        error = sys.exc_info()
    record = log.makeRecord(log.name, logging.ERROR, __file__, 1, "failed %s", ("x",), error, extra={"user_id": 7})
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "failed x"
    assert line["user_id"] == 7
    assert "RuntimeError: boom" in line["exc"]


def test_tokens_in_urls_are_redacted_from_uvicorns_lines(app: FastAPI, caplog: pytest.LogCaptureFixture) -> None:
    # create_app configured logging; uvicorn logs the path with its query string, as here.
    with caplog.at_level(logging.INFO):
        logging.getLogger("uvicorn.error").info(
            '%s - "WebSocket %s" [accepted]', "127.0.0.1:5", "/v1/live?token=s3cr3t"
        )
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5", "GET", "/v1/feed?limit=5&access_token=s3cr3t&x=1", "1.1", 200
        )
    lines = [record.getMessage() for record in caplog.records]
    assert lines == [
        '127.0.0.1:5 - "WebSocket /v1/live?token=[redacted]" [accepted]',
        '127.0.0.1:5 - "GET /v1/feed?limit=5&access_token=[redacted]&x=1 HTTP/1.1" 200',
    ]

"""Which image encoder serving embeds uploads with, and what a broken checkpoint does: a clear error at
start, degraded readiness, and uploads, posts and feeds that go on."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from fastapi.testclient import TestClient
from sqlalchemy import select

from candidates.images.encoder import save_cnn
from candidates.images.network import ImageNet, ImageNetConfig
from serving.app import create_app
from serving.image_encoder import ServedImageEncoder
from serving.settings import Settings
from social_core.db import make_engine
from social_core.models import Media
from tests.serving.conftest import Api


def test_a_corrupt_checkpoint_is_reported_at_start_and_serving_goes_on(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    corrupt = tmp_path / "open_encoder.pt2"
    corrupt.write_bytes(b"truncated download")
    broken = settings.model_copy(
        update={"image_encoder": "export", "image_encoder_path": corrupt, "relay": "inprocess"}
    )
    with caplog.at_level(logging.ERROR), TestClient(create_app(broken)) as client:
        assert any("cannot be loaded" in r.getMessage() and str(corrupt) in r.getMessage() for r in caplog.records)
        ready = client.get("/readyz")
        assert ready.status_code == 200
        [reason] = ready.json()["degraded"]
        assert reason.startswith(f"image encoder checkpoint {corrupt} cannot be loaded")
        api = Api(client)
        api.signup("alice")
        post = api.post("alice")  # upload and post: 201 each (asserted inside)
        assert api.as_("alice").get("/v1/feed").status_code == 200
        assert api.as_("alice").get(f"/v1/posts/{post}").status_code == 200


def test_readiness_has_nothing_degraded_without_an_encoder(client: TestClient) -> None:
    assert client.get("/readyz").json()["degraded"] == []


def test_a_configured_cnn_folder_serves_and_uploads_are_embedded_by_it(settings: Settings, tmp_path: Path) -> None:
    folder = settings.home / "models" / "image_encoder" / "v1"
    torch.manual_seed(0)
    save_cnn(ImageNet(ImageNetConfig(dim=8, side=32, width=8)).eval(), folder)
    pinned = settings.model_copy(
        update={"image_encoder_path": folder, "relay": "inprocess", "relay_idle_seconds": 0.02}
    )
    served = ServedImageEncoder(pinned)
    encoder = served.current()
    assert encoder is not None and encoder.version == "cnn:v1" and served.problem is None
    with TestClient(create_app(pinned)) as client:
        api = Api(client)
        api.signup("alice")
        api.post("alice")
    engine = make_engine(settings.db_url)
    with engine.connect() as conn:
        assert conn.scalars(select(Media.embedding_model)).all() == ["cnn:v1"]
    engine.dispose()


def test_without_a_registry_or_a_path_nothing_serves(settings: Settings) -> None:
    served = ServedImageEncoder(settings)
    assert served.current() is None and served.problem is None

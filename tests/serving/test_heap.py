"""The serving process freezes its long-lived heap once loaded; a test process (many apps) does not."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from serving import heap
from serving.app import create_app
from serving.settings import Settings


@pytest.fixture
def restored() -> Iterator[None]:
    yield
    gc.unfreeze()  # this process goes on building apps: let their garbage be collected again
    heap.configure(False)


def test_settle_freezes_only_when_enabled(restored: None) -> None:
    heap.configure(False)
    heap.settle()
    assert gc.get_freeze_count() == 0
    heap.configure(True)
    heap.settle()
    assert gc.get_freeze_count() > 0


def test_an_app_that_freezes_its_heap_does_so_at_start_up(settings: Settings, restored: None) -> None:
    assert gc.get_freeze_count() == 0  # the tests run with PIXELRANK_FREEZE_HEAP=false
    with TestClient(create_app(settings.model_copy(update={"freeze_heap": True}))):
        assert gc.get_freeze_count() > 0

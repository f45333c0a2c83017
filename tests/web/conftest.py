"""Browser tests: Playwright driving Debian's Chromium against a real server on a small seeded world.

They run when a Chromium is installed (`/usr/bin/chromium`, or `PIXELRANK_CHROMIUM`) and Playwright is
importable; otherwise they are skipped, saying why, unless PIXELRANK_REQUIRE_SERVICES=1 (CI), which
fails them instead. Playwright's own browser download is not used: the system Chromium is launched.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from social_core import migrate
from social_core.db import make_engine
from tests.conftest import REQUIRE_SERVICES
from tests.servers import free_port, wait_healthy
from tests.web.world import World, seed_world

CHROMIUM = os.environ.get("PIXELRANK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
HAVE_PLAYWRIGHT = importlib.util.find_spec("playwright") is not None
HAVE_CHROMIUM = Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK)
MAX_IMAGE_BYTES = 300_000  # small, so a "too big" photo is small to make
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def _missing() -> str | None:
    if not HAVE_PLAYWRIGHT:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not HAVE_CHROMIUM:
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium, or set PIXELRANK_CHROMIUM)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = _missing()
    if reason is None or REQUIRE_SERVICES:  # required: they run, and fail at the launch below
        return
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.skip(reason=f"browser tests skipped: {reason}"))


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict[str, Any]:
    """pytest-playwright's launch arguments: the system Chromium, headless, without its background chatter."""
    if reason := _missing():
        pytest.fail(f"browser tests are required (PIXELRANK_REQUIRE_SERVICES=1): {reason}")
    args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
    return {"executable_path": CHROMIUM, "args": [*args, "--disable-sync", "--no-first-run"], "headless": True}


@pytest.fixture(scope="session")
def browser_context_args() -> dict[str, Any]:
    return {"viewport": DESKTOP}


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`uvicorn serving.app:create_app` in its own process: the embedded defaults (SQLite, in-process
    Redis and relay), as `make demo` serves, with a small upload limit."""
    if _missing():
        pytest.skip(_missing() or "")
    home = tmp_path_factory.mktemp("web-home")
    db_url = f"sqlite:///{home / 'pixelrank.db'}"
    engine = make_engine(db_url)
    migrate.upgrade(engine)
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "MLFLOW_TRACKING_URI")}
    env |= {
        "PIXELRANK_HOME": str(home),
        "DATABASE_URL": db_url,
        "PIXELRANK_MEDIA_AVIF": "false",
        "PIXELRANK_MAX_IMAGE_BYTES": str(MAX_IMAGE_BYTES),
        "PIXELRANK_MAX_VIDEO_BYTES": str(2 * MAX_IMAGE_BYTES),
        "PIXELRANK_FREEZE_HEAP": "false",
        "FEAST_USAGE": "False",
    }
    port, log = free_port(), home / "server.log"
    command = [sys.executable, "-m", "uvicorn", "serving.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(process, base, log)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="session")
def world(server: str) -> World:
    return seed_world(server)

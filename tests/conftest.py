"""Shared fixtures: a migrated database per test on every backend, the app, and API factories.

PostgreSQL and Redis are real: set DATABASE_URL / REDIS_URL to run against them. Without them those
tests are skipped (and say so), unless PIXELRANK_REQUIRE_SERVICES=1, which turns a skip into a failure.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlalchemy.engine import Engine

from serving import heap
from serving.settings import _sqlalchemy_url
from social_core import accounts, migrate
from social_core.db import Base, make_engine

os.environ.setdefault("FEAST_USAGE", "False")
# A test process builds hundreds of apps: frozen, their garbage would never be collected (serving/heap.py).
# Off for apps (their Settings) and for model watchers built without an app.
os.environ["PIXELRANK_FREEZE_HEAP"] = "false"
# Rankings are deterministic in tests: the exploration draw (a random share of feeds in the product) is turned
# on by the tests that are about it.
os.environ["PIXELRANK_EXPLORATION_RATE"] = "0"
heap.configure(False)

REQUIRE_SERVICES = os.environ.get("PIXELRANK_REQUIRE_SERVICES") == "1"
POSTGRES_URL = os.environ.get("DATABASE_URL")
REDIS_URL = os.environ.get("REDIS_URL")
TRACKING_URI_AT_START = os.environ.get("MLFLOW_TRACKING_URI")


def need_service(name: str, available: bool) -> None:
    if available:
        return
    variable = {"postgres": "DATABASE_URL", "redis": "REDIS_URL"}[name]
    if REQUIRE_SERVICES:
        pytest.fail(f"{name} is required (PIXELRANK_REQUIRE_SERVICES=1) but {variable} is not set")
    pytest.skip(f"{name} not configured: set {variable} to run this test")


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> Iterator[None]:
    # Production argon2 parameters cost ~0.2 s a hash; tests sign up hundreds of users.
    original = accounts.hasher
    accounts.hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts.hasher = original


@pytest.fixture(autouse=True)
def _restore_process_state() -> Iterator[None]:
    # `create_app` configures root logging for its API process, and `mlflow.set_tracking_uri` exports
    # MLFLOW_TRACKING_URI (which Settings reads): one test's app or job must not change what later
    # tests print or which model store they see.
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    root.setLevel(level)
    root.handlers[:] = handlers
    tracking_uri = TRACKING_URI_AT_START  # not the value at this test's start: module fixtures set it too
    if tracking_uri is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = tracking_uri


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """A private database on the DATABASE_URL server for this test session, dropped afterwards.

    Private, so that two test runs on one server (CI and a developer, parallel workers) never
    truncate each other's tables.
    """
    need_service("postgres", bool(POSTGRES_URL))
    server = make_engine(_sqlalchemy_url(POSTGRES_URL or ""), isolation_level="AUTOCOMMIT")
    name = f"pixelrank_test_{os.getpid()}"
    with server.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        connection.execute(text(f"CREATE DATABASE {name}"))
    engine = make_engine(server.url.set(database=name).render_as_string(hide_password=False))
    migrate.upgrade(engine)
    yield engine
    engine.dispose()
    with server.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    server.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """A freshly migrated, empty database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "pixelrank.db"
        shutil.copy(sqlite_template, path)
        return f"sqlite:///{path}"
    engine: Engine = request.getfixturevalue("postgres_engine")
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    return str(engine.url.render_as_string(hide_password=False))


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()

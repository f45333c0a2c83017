"""`pixelrank init` and `pixelrank serve`."""

from __future__ import annotations

import os
import shutil
from typing import Annotated

import typer

from serving.settings import Settings
from social_core import migrate
from social_core.db import make_engine


def init() -> None:
    """Create or upgrade the database schema (idempotent)."""
    settings = Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(make_engine(settings.db_url))
    typer.echo(f"database ready: {_redacted(settings.db_url)}")


def serve(
    host: Annotated[str | None, typer.Option(help="Bind address [default: PIXELRANK_HOST or 127.0.0.1].")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535, help="Port [default: PIXELRANK_PORT or 8000].")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64, help="Worker processes [default: 1].")] = None,
) -> None:
    """Migrate, then serve the HTTP API (OpenAPI docs at /docs)."""
    import uvicorn

    settings = Settings()
    init()
    workers = workers or settings.workers
    _metrics_mode(settings, workers)
    uvicorn.run(
        "serving.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers,
        log_level=settings.log_level,
        # A worker imports the ML stack (Feast, torch, MLflow) before it answers: seconds, not milliseconds.
        timeout_worker_healthcheck=120,
    )


def _metrics_mode(settings: Settings, workers: int) -> None:
    """Several workers sum their metrics through files in one fresh folder. One worker is this process,
    which keeps its own registry: importing the stack (Feast) already opened this process's files in the
    folder, and emptying the folder under them would hide every metric from /metrics."""
    if settings.metrics_dir is None:
        return
    if workers == 1:
        os.environ.pop("PIXELRANK_METRICS_DIR", None)  # the app's `Settings` then choose in-process metrics
        return
    shutil.rmtree(settings.metrics_dir, ignore_errors=True)
    settings.metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(settings.metrics_dir)


def _redacted(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        rest = "***@" + rest.split("@", 1)[1]
    return scheme + sep + rest

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The process can serve: the database answers, and Redis too when one is configured. What serves
    degraded without stopping it (an image encoder that cannot load) is listed under `degraded`."""
    checks: dict[str, Any] = {}
    try:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as error:  # any failure means not ready; say which
        checks["database"] = f"error: {type(error).__name__}"
    if request.app.state.settings.redis_url:
        try:
            request.app.state.redis.ping()
            checks["redis"] = "ok"
        except Exception as error:
            checks["redis"] = f"error: {type(error).__name__}"
    ready = all(value == "ok" for value in checks.values())
    problem = request.app.state.image_encoder.problem
    degraded = [problem] if problem else []
    body = {"status": "ok" if ready else "unavailable", "checks": checks, "degraded": degraded}
    return JSONResponse(body, status_code=200 if ready else 503)

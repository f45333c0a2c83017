"""The small web client: static files under /app, and / redirects there."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles

WEB = Path(__file__).parent.parent / "web"

router = APIRouter(include_in_schema=False)
static = StaticFiles(directory=WEB, html=True)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/app/")

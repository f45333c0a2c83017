"""ASGI middleware timing every HTTP request into `Metrics.requests` by route template and status class.

Pure ASGI (not BaseHTTPMiddleware) so streaming responses and websockets pass through untouched;
the route template is read after the router has matched, from `scope["route"]`.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from serving.metrics import Metrics

UNMATCHED = "unmatched"  # 404s of arbitrary paths share one series


class RequestMetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an exception escaping the app becomes a 500 further out

        async def send_and_note_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note_status)
        finally:
            route = scope.get("route")
            template = str(getattr(route, "path", None) or UNMATCHED)
            self.metrics.requests.labels(template, scope["method"], f"{status // 100}xx").observe(
                time.perf_counter() - started
            )

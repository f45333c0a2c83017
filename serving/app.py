"""The FastAPI application: `create_app(settings)` wires the database, Redis and the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from candidates.two_tower.runtime import TwoTowerRuntime
from serving import errors
from serving.realtime import Hub, make_broker
from serving.relay import BackgroundRelay, make_relay
from serving.resources import open_redis
from serving.routes import ROUTERS, web
from serving.settings import Settings
from social_core.clock import utcnow
from social_core.db import make_engine, make_sessionmaker
from social_core.media import make_store


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.home.mkdir(parents=True, exist_ok=True)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.broker.start(app.state.hub.deliver)  # this process's live-event listener
        relay = None
        if settings.relay == "inprocess":
            relay = BackgroundRelay(
                make_relay(settings, app.state.sessions, app.state.redis, app.state.two_tower),
                settings.relay_idle_seconds,
            )
            relay.start()
        yield
        if relay is not None:
            relay.stop()
        await app.state.broker.stop()
        app.state.engine.dispose()

    app = FastAPI(
        title="pixelrank",
        version="0.1.0",
        description="An Instagram-like photo backend with an ML-ranked home feed and explore page.",
        lifespan=lifespan,
    )
    engine = make_engine(settings.db_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessions = make_sessionmaker(engine)
    app.state.redis = open_redis(settings.redis_url)
    app.state.clock = utcnow
    app.state.store = make_store(settings.media_store_config)
    app.state.broker = make_broker(settings.redis_url, settings.realtime_channel)
    app.state.hub = Hub()
    app.state.two_tower = TwoTowerRuntime.latest(settings.home)  # None until trained
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/app", web.static, name="web")
    return app

"""The FastAPI application: `create_app(settings)` wires the database, Redis and the routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import faiss
import torch
from anyio import CapacityLimiter
from fastapi import FastAPI
from threadpoolctl import threadpool_limits

from serving import errors, heap
from serving.feed.assembly import build_feed_stack
from serving.image_encoder import ServedImageEncoder
from serving.impressions import ImpressionLogger
from serving.logs import configure_logging
from serving.metrics import Metrics
from serving.realtime import Hub, make_broker
from serving.relay import BackgroundRelay, make_relay
from serving.request_id import RequestIdMiddleware
from serving.request_metrics import RequestMetricsMiddleware
from serving.resources import open_redis
from serving.routes import ROUTERS, web
from serving.settings import Settings
from serving.two_tower import served_two_tower
from social_core.clock import utcnow
from social_core.db import make_engine, make_sessionmaker, read_only
from social_core.media import make_store


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    configure_logging(settings.log_format, settings.log_level)
    one_native_thread()
    heap.configure(settings.freeze_heap)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.broker.start(app.state.hub.deliver)  # this process's live-event listener
        # Served items are written as impression events from a background thread, off the request path.
        app.state.impressions = ImpressionLogger(
            app.state.sessions, on_drop=app.state.metrics.impressions_dropped.inc
        ).start()
        app.state.page_turns = CapacityLimiter(settings.feed_pages_at_once)  # `serving.feed.dependency`
        relay = None
        app.state.image_encoder.start()
        if settings.relay == "inprocess":
            relay = BackgroundRelay(
                make_relay(
                    settings,
                    app.state.sessions,
                    app.state.redis,
                    app.state.feed.two_tower.current,
                    app.state.image_encoder.current,
                ),
                settings.relay_idle_seconds,
            )
            relay.start()
        heap.settle()  # the app and what it opened at start-up (models follow when they load)
        yield
        app.state.impressions.stop()  # before the relay, so the last impressions are queued for it
        if relay is not None:
            relay.stop()
        app.state.feed.close()
        await app.state.broker.stop()
        app.state.metrics.close()
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
    app.state.read_sessions = make_sessionmaker(read_only(engine))  # GET requests (`deps.get_session`)
    app.state.redis = open_redis(settings.redis_url)
    app.state.image_encoder = ServedImageEncoder(settings)
    app.state.clock = utcnow
    app.state.store = make_store(settings.media_store_config)
    app.state.broker = make_broker(settings.redis_url, settings.realtime_channel)
    app.state.hub = Hub()
    two_tower = served_two_tower(settings, engine)  # None until trained; then followed live (`feed.two_tower`)
    app.state.feed = build_feed_stack(settings, read_only(engine), app.state.redis, two_tower)
    app.state.metrics = Metrics(settings.metrics_dir)
    errors.install(app)
    app.add_middleware(RequestMetricsMiddleware, metrics=app.state.metrics)
    app.add_middleware(RequestIdMiddleware)  # added last: outermost, so everything inside sees the id
    for router in ROUTERS:
        app.include_router(router)
    app.mount("/app", web.static, name="web")
    return app


def one_native_thread() -> None:
    """One thread for torch, FAISS and BLAS inside a request: each request's arrays are tiny, the server's
    parallelism is its workers and threads, and two OpenMP pools spinning against each other on a busy
    machine turned a 0.05 ms FAISS search into 8 ms. BLAS too: after each small matrix product (MMR's
    similarities) OpenBLAS's second thread spun, and a ranking cost twice the CPU it did."""
    torch.set_num_threads(1)
    faiss.omp_set_num_threads(1)
    threadpool_limits(1, user_api="blas")

"""`pixelrank worker`: the outbox relay as its own process.

It follows the two-tower champion as the API does (`TwoTowerChampion`), so new posts go into the index
of the version that serves, also after a new one was promoted.
"""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from serving.image_encoder import ServedImageEncoder
from serving.relay import make_relay
from serving.resources import open_redis
from serving.settings import Settings
from serving.two_tower import TwoTowerChampion, served_two_tower
from social_core.db import make_engine, make_sessionmaker


def worker(
    once: Annotated[bool, typer.Option(help="Process what is queued now, then exit.")] = False,
) -> None:
    """Relay outbox events to their side effects (feed fan-out, online features, index) until Ctrl+C.

    Several workers may run at once on PostgreSQL: each takes its own batches (SKIP LOCKED).
    """
    settings = Settings()
    engine = make_engine(settings.db_url)
    two_tower = TwoTowerChampion(settings, engine, served_two_tower(settings, engine))
    image_encoder = ServedImageEncoder(settings)
    image_encoder.start()
    redis = open_redis(settings.redis_url)
    relay = make_relay(settings, make_sessionmaker(engine), redis, two_tower.current, image_encoder.current)
    if once:
        typer.echo(f"relayed {relay.drain()} events")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    typer.echo("relaying outbox events; Ctrl+C stops")
    two_tower.watch()
    try:
        relay.run_forever(stop, settings.relay_idle_seconds)
    finally:
        two_tower.stop()

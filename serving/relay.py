"""The outbox relay as this deployment runs it: which side effects, in a thread or as `pixelrank worker`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from feast import FeatureStore
from sqlalchemy.orm import Session, sessionmaker

from features.store import FeatureStoreConfig, open_store
from features.stream.push import push_events
from serving.settings import Settings
from social_core.models import Event
from social_core.relay import EventHandler, Relay

log = logging.getLogger(__name__)


class FeaturePush:
    """Fresh counters into the online feature store (Feast push sources) for every event."""

    name = "features"

    def __init__(self, config: FeatureStoreConfig) -> None:
        self.config = config
        self._store: FeatureStore | None = None

    def __call__(self, events: Sequence[Event]) -> None:
        store = self._open()
        if store is not None:
            push_events(store, events)

    def _open(self) -> FeatureStore | None:
        # Before `pixelrank features apply` there is nothing to push to; the first batch build
        # computes everything from the outbox, so skipping loses nothing.
        if self._store is None and (self.config.repo_dir / "registry.db").exists():
            self._store = open_store(self.config)
        return self._store


def handlers(settings: Settings) -> list[EventHandler]:
    return [FeaturePush(FeatureStoreConfig(home=settings.home, redis_url=settings.redis_url))]


def make_relay(settings: Settings, sessions: sessionmaker[Session]) -> Relay:
    return Relay(sessions, handlers(settings), batch_size=settings.relay_batch_size)


class BackgroundRelay:
    """The embedded default: the relay in a daemon thread of the API process."""

    def __init__(self, relay: Relay, idle_seconds: float) -> None:
        self.relay, self.idle_seconds = relay, idle_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="outbox-relay", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        try:
            self.relay.run_forever(self._stop, self.idle_seconds)
        except Exception:  # the API keeps serving; events wait for `pixelrank worker` or a restart
            log.exception("the in-process outbox relay stopped")

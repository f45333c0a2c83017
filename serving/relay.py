"""The outbox relay as this deployment runs it: which side effects, in a thread or as `pixelrank worker`.

Side effects, in order: fan-out to the followers' feed sets in Redis, fresh counters to the online
feature store, each upload's image embedding (by the image encoder serving now), and new posts into
the index of the two-tower version serving now (asked per batch, so the relay follows the champion as
it moves; nothing while no version was trained).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

from feast import FeatureStore
from sqlalchemy.orm import Session, sessionmaker

from candidates.feed_relay import FeedFanout
from candidates.images.media import ImageEmbedder, ServedEncoder
from candidates.two_tower.runtime import PostIndexer, ServedRuntime
from features.store import FeatureStoreConfig, open_store
from features.stream.push import push_events
from ranking.pages.cache import CacheConfig, RankedListCache
from serving.feed.invalidation import FeedCacheInvalidation
from serving.settings import Settings
from social_core.media import make_store
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


def handlers(
    settings: Settings, redis: Any, two_tower: ServedRuntime | None, image_encoder: ServedEncoder | None = None
) -> list[EventHandler]:
    """`two_tower`: the served version's getter (`TwoTowerChampion.current`); None: no index to keep.
    `image_encoder`: the serving encoder's getter (`ServedImageEncoder.current`); None: no embeddings."""
    fanout = settings.fanout_config
    chain: list[EventHandler] = [
        FeedFanout(redis, fanout),
        FeedCacheInvalidation(RankedListCache(redis, CacheConfig(ttl_s=settings.feed_cache_ttl_s))),  # after fan-out
        FeaturePush(FeatureStoreConfig(home=settings.home, redis_url=settings.redis_url)),
    ]
    if image_encoder is not None:  # before the indexer: a post in the same batch as its upload is indexed with it
        chain.append(ImageEmbedder(image_encoder, make_store(settings.media_store_config)))
    if two_tower is not None:
        chain.append(PostIndexer(two_tower))
    return chain


def make_relay(
    settings: Settings,
    sessions: sessionmaker[Session],
    redis: Any,
    two_tower: ServedRuntime | None = None,
    image_encoder: ServedEncoder | None = None,
) -> Relay:
    chain = handlers(settings, redis, two_tower, image_encoder)
    return Relay(sessions, chain, batch_size=settings.relay_batch_size)


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

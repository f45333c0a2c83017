"""The online feature store as the feed reads it: opened on first use, once it exists.

Before `pixelrank features apply` there is no registry and no online table; the server must still
start and serve. `OnlineFeatures` opens the store the first time a request needs it after the registry
appears (no restart), and until then raises `FeatureStoreMissing`, which the pipeline's feature stage
turns into the documented defaults and a `degraded` page. An unreachable online store (Redis down)
fails the same way, per request. One lock per hydrator: its short-lived row caches are not shared
between threads safely, and a hydration is a single round trip.

`reader="stock"` (PIXELRANK_FEATURE_READER) reads through Feast's own `get_online_features` instead:
the reference path that benchmarks/feed.py measures the fast `Hydrator` against, same matrix, slower.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from candidates.two_tower.user_features import UserFeatures
from features.catalogue import PostCatalogue
from features.hydrate import Hydrator, HydratorConfig
from features.online_readers import reader_for
from features.schema import service_columns
from features.stock import stock_features
from features.store import FeatureStoreConfig, open_store
from serving import heap

log = logging.getLogger(__name__)


class FeatureStoreMissing(RuntimeError):
    """No feature registry yet (`pixelrank features apply` has not run)."""


class StockHydrator(Hydrator):
    """A `Hydrator` whose every read is the stock `FeatureStore.get_online_features` call (no row caches).

    A subclass only so that it fits where a `Hydrator` is expected (`UserFeatures` of the user tower)."""

    def __init__(self, store: Any, config: HydratorConfig) -> None:
        super().__init__(reader_for(store.config), config)
        self.store = store

    def hydrate(
        self, user_id: int, post_ids: Sequence[int], author_ids: Sequence[int], request_ts: float | None = None
    ) -> np.ndarray:
        now = time.time() if request_ts is None else float(request_ts)
        return stock_features(self.store, self.config.service, user_id, post_ids, author_ids, now)

    def user_values(self, user_id: int) -> dict[str, float]:
        """Through `hydrate` as well (post and author 0 never exist: only the user's columns are read off)."""
        return dict(zip(self.columns, self.hydrate(user_id, [0], [0])[0].tolist(), strict=True))


class OnlineFeatures:
    def __init__(
        self,
        config: FeatureStoreConfig,
        reader: Literal["fast", "stock"] = "fast",
        catalogue: PostCatalogue | None = None,  # keeps the post and author rows (fast reader only)
    ) -> None:
        self.config, self.reader, self.catalogue = config, reader, catalogue
        self._hydrators: dict[str, Hydrator] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._opening = threading.Lock()

    def hydrate(
        self,
        service: str,
        user_id: int,
        post_ids: Sequence[int],
        author_ids: Sequence[int],
        request_ts: float | None = None,
    ) -> np.ndarray:
        hydrator, lock = self.open(service)
        with lock:
            return hydrator(user_id, post_ids, author_ids, request_ts)

    def open(self, service: str) -> tuple[Hydrator, threading.Lock]:
        """The service's hydrator and the lock to hold while calling it; `FeatureStoreMissing` before apply."""
        with self._opening:
            if service not in self._hydrators:
                if not (self.config.repo_dir / "registry.db").exists():
                    raise FeatureStoreMissing("the feature store is not applied yet (pixelrank features apply)")
                store, config = open_store(self.config), HydratorConfig(service=service)
                hydrator = (
                    StockHydrator(store, config)
                    if self.reader == "stock"
                    else Hydrator.from_store(store, config, self.catalogue)
                )
                self._hydrators[service] = hydrator
                heap.settle()
                self._locks[service] = threading.Lock()
            return self._hydrators[service], self._locks[service]


class StoreReader:
    """A `ranking.hydrators.features.FeatureReader` over one feature service of `OnlineFeatures`."""

    def __init__(self, features: OnlineFeatures, service: str = "ranker_v1") -> None:
        self.features, self.service = features, service
        self.columns = service_columns(service)

    def __call__(
        self, user_id: int, post_ids: Sequence[int], author_ids: Sequence[int], request_ts: float | None = None
    ) -> np.ndarray:
        return self.features.hydrate(self.service, user_id, post_ids, author_ids, request_ts)


class TowerUserFeatures:
    """`TwoTowerSource(dense_features=...)`: the user tower's features, None while the store is missing. Read
    through the ranker's service (`service`, a superset): its hydrator keeps the viewer's row for the
    ranking's own read."""

    def __init__(self, features: OnlineFeatures, service: str = "ranker_v1") -> None:
        self.features, self.service = features, service
        self._user_features: UserFeatures | None = None

    def __call__(self, user_id: int) -> np.ndarray | None:
        try:
            hydrator, lock = self.features.open(self.service)
        except FeatureStoreMissing:
            return None
        with lock:
            if self._user_features is None or self._user_features.hydrator is not hydrator:
                self._user_features = UserFeatures(hydrator)
            return self._user_features(user_id)  # fail-open by itself: None when the store is unreachable

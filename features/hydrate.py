"""`Hydrator`: the ranker's feature matrix for one user and N candidates, straight from the online store.

Returns exactly what `FeatureStore.get_online_features(features=<service>, ...)` returns for the same
keys (a parity test holds it to that on SQLite and Redis), as a float64 matrix with the service's
columns in `features.schema.SERVICES` order and `features.schema.default(...)` where Feast returns
None. It is faster because it reads the online store in one round trip per view with Feast's own
key bytes (`online_keys`, `online_readers`), decodes all values with numpy, computes the on-demand
features in numpy, and caches the user and author rows (and the immutable post content) for
`cache_ttl_s` seconds. Post counters and user×author rows are read fresh on every call.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from features.online_keys import KeyCodec
from features.online_readers import OnlineReader, reader_for
from features.schema import REQUEST_VIEW, SERVICES, VIEWS, default

ENTITY_OF_VIEW = {
    "user_engagement": "user",
    "post_content": "post",
    "post_stats": "post",
    "author_stats": "author",
    "user_author": "pair",
}
CACHED = {"user_engagement", "author_stats", "post_content"}
ODFV_INPUTS = {"post_created_ts": "post_content", "ua_last_interaction_ts": "user_author"}


@dataclass(frozen=True)
class HydratorConfig:
    service: str = "ranker_v1"
    cache_ttl_s: float = 5.0  # how stale a cached user/author row may be; 0: no cache


class _TTLCache:
    def __init__(self, ttl: float, clock: Callable[[], float]) -> None:
        self.ttl, self.clock, self.rows = ttl, clock, {}  # type: ignore[var-annotated]

    def split(self, ids: Sequence[int]) -> tuple[dict[int, np.ndarray], list[int]]:
        now, hits, misses = self.clock(), {}, []
        for i in ids:
            entry = self.rows.get(i)
            if entry is not None and entry[0] > now:
                hits[i] = entry[1]
            else:
                misses.append(i)
        return hits, misses

    def put(self, ids: Sequence[int], rows: np.ndarray) -> None:
        if self.ttl > 0:
            expires = self.clock() + self.ttl
            self.rows.update((i, (expires, row)) for i, row in zip(ids, rows, strict=True))


class Hydrator:
    def __init__(
        self,
        reader: OnlineReader,
        config: HydratorConfig = HydratorConfig(),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.reader, self.config, self.wall_clock = reader, config, wall_clock
        selection = SERVICES[config.service]
        self.columns = [f for features in selection.values() for f in features]
        self.defaults = np.array([default(f) for f in self.columns])
        # Per stored view: the features read (the service's, plus what the on-demand view needs).
        self.reads: dict[str, list[str]] = {v: list(selection.get(v, [])) for v in VIEWS}
        if REQUEST_VIEW in selection:
            for feature, view in ODFV_INPUTS.items():
                if feature not in self.reads[view]:
                    self.reads[view].append(feature)
        self.reads = {v: f for v, f in self.reads.items() if f}
        suffix = reader.key_suffix
        self.codecs = {v: KeyCodec(VIEWS[v][0], suffix) for v in self.reads}
        self.caches = {v: _TTLCache(config.cache_ttl_s, clock) for v in self.reads if v in CACHED}

    @classmethod
    def from_store(cls, store: Any, config: HydratorConfig = HydratorConfig()) -> Hydrator:
        return cls(reader_for(store.config), config)

    def __call__(
        self, user_id: int, post_ids: Sequence[int], author_ids: Sequence[int], request_ts: float | None = None
    ) -> np.ndarray:
        return self.hydrate(user_id, post_ids, author_ids, request_ts)

    def hydrate(
        self, user_id: int, post_ids: Sequence[int], author_ids: Sequence[int], request_ts: float | None = None
    ) -> np.ndarray:
        """(len(post_ids) × len(columns)) float64; unknown ids get the documented defaults, never an error."""
        posts = [int(p) for p in post_ids]
        authors = [int(a) for a in author_ids]
        if len(posts) != len(authors):
            raise ValueError("one author per candidate post")
        keys = {"user": [int(user_id)], "post": posts, "author": authors, "pair": [(int(user_id), a) for a in authors]}
        values = self._read(keys)
        now = self.wall_clock() if request_ts is None else float(request_ts)
        values["post_age_hours"] = (now - values["post_created_ts"]) / 3600.0 if "post_created_ts" in values else None
        if "ua_last_interaction_ts" in values:
            values["ua_hours_since_last"] = (now - values["ua_last_interaction_ts"]) / 3600.0
        n = len(posts)
        matrix = np.empty((n, len(self.columns)))
        for j, column in enumerate(self.columns):
            matrix[:, j] = values[column]
        missing = np.isnan(matrix)
        matrix[missing] = np.broadcast_to(self.defaults, matrix.shape)[missing]
        return matrix

    def _read(self, keys: dict[str, list[Any]]) -> dict[str, np.ndarray]:
        """Every read feature as a column of len(posts) (user features broadcast)."""
        plan: list[tuple[str, list[Any], list[int]]] = []  # view, ids to fetch, and their row positions
        rows: dict[str, np.ndarray] = {}
        for view, features in self.reads.items():
            ids = keys[ENTITY_OF_VIEW[view]]
            unique = list(dict.fromkeys(ids))
            cache = self.caches.get(view)
            hits, misses = cache.split(unique) if cache else ({}, unique)
            table = np.full((len(unique), len(features)), np.nan)
            where = {k: i for i, k in enumerate(unique)}
            for k, row in hits.items():
                table[where[k]] = row
            rows[view] = table
            if misses:
                plan.append((view, misses, [where[k] for k in misses]))
        requests = [(v, self._encode(v, ids), self.reads[v]) for v, ids, _ in plan]
        for (view, ids, positions), fetched in zip(plan, self.reader.read_many(requests), strict=True):
            rows[view][positions] = fetched
            if view in self.caches:
                self.caches[view].put(ids, fetched)
        return self._spread(keys, rows)

    def _encode(self, view: str, ids: list[Any]) -> list[bytes]:
        codec = self.codecs[view]
        return codec.many(ids) if len(codec.join_keys) == 1 else codec.many([u for u, _ in ids], [a for _, a in ids])

    def _spread(self, keys: dict[str, list[Any]], rows: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        n = len(keys["post"])
        values: dict[str, np.ndarray] = {}
        for view, features in self.reads.items():
            ids = keys[ENTITY_OF_VIEW[view]]
            unique = list(dict.fromkeys(ids))
            if len(unique) == len(ids):
                table = rows[view]
            else:
                where = {k: i for i, k in enumerate(unique)}
                table = rows[view][[where[k] for k in ids]]
            if len(table) != n:  # the user's single row, broadcast to every candidate
                table = (
                    np.broadcast_to(table, (n, len(features))) if len(table) else np.full((n, len(features)), np.nan)
                )
            for j, feature in enumerate(features):
                values[feature] = table[:, j]
        return values

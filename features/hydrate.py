"""`Hydrator`: the ranker's feature matrix for one user and N candidates, straight from the online store.

Returns exactly what `FeatureStore.get_online_features(features=<service>, ...)` returns for the same
keys (a parity test holds it to that on SQLite and Redis), as a float64 matrix with the service's
columns in `features.schema.SERVICES` order and `features.schema.default(...)` where Feast returns
None. It is faster because:
- every entity key is built by numpy from Feast's own key bytes (`online_keys`), no protobuf;
- the whole read is ONE round trip on Redis (`redis_reader`): one HMGET per entity key for all the
  views of that entity (a post's content and counters share Feast's hash), all in one script call;
- values are decoded in bulk (`online_cells`), the on-demand features computed with numpy;
- what may be a few seconds stale is kept decoded between calls (`online_cache`): the user's rows for
  `cache_ttl_s` (5 s), the user×author rows for `counter_ttl_s` (1 s: a like shows in the ranker's
  features at most a second after it reached the online store). With a `PostCatalogue`, the post and
  author rows are kept in its dense tables until an outbox event changes them (`FeatureRows`), so a
  ranking reads only the viewer's own rows; without one, the authors' rows for `cache_ttl_s`, post
  content for `content_ttl_s` and post counters for `counter_ttl_s`. `cache_ttl_s=0` reads everything fresh.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from features.catalogue import ENTITY_VIEWS, FeatureRows, PostCatalogue
from features.online_cache import RowCache
from features.online_cells import OnlineReader, ReadRequest
from features.online_keys import KeyCodec
from features.online_readers import reader_for
from features.schema import REQUEST_VIEW, SERVICES, VIEWS, default

ENTITY_OF_VIEW = {
    "user_engagement": "user",
    "post_content": "post",
    "post_stats": "post",
    "author_stats": "author",
    "user_author": "pair",
}
ODFV_INPUTS = {"post_created_ts": "post_content", "ua_last_interaction_ts": "user_author"}


@dataclass(frozen=True)
class HydratorConfig:
    service: str = "ranker_v1"
    cache_ttl_s: float = 5.0  # how stale a user's or an author's row may be; 0: no cache at all
    counter_ttl_s: float = 1.0  # the same for post counters and user×author rows (shared by every request)
    content_ttl_s: float = 600.0  # post content never changes once written (absent rows are not kept)

    def ttl(self, view: str) -> float:
        if self.cache_ttl_s <= 0:
            return 0.0
        if view == "post_content":
            return self.content_ttl_s
        return self.counter_ttl_s if view in ("post_stats", "user_author") else self.cache_ttl_s


class Hydrator:
    def __init__(
        self,
        reader: OnlineReader,
        config: HydratorConfig = HydratorConfig(),
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        catalogue: PostCatalogue | None = None,
    ) -> None:
        self.reader, self.config, self.wall_clock = reader, config, wall_clock
        selection = SERVICES[config.service]
        self.columns = [f for features in selection.values() for f in features]
        self.defaults = np.array([default(f) for f in self.columns])
        # Per stored view: the features read (the service's, plus what the on-demand view needs).
        reads: dict[str, list[str]] = {v: list(selection.get(v, [])) for v in VIEWS}
        if REQUEST_VIEW in selection:
            for feature, view in ODFV_INPUTS.items():
                if feature not in reads[view]:
                    reads[view].append(feature)
        self.reads = {v: f for v, f in reads.items() if f}
        self.views_of: dict[str, list[str]] = {}
        for view in self.reads:
            self.views_of.setdefault(ENTITY_OF_VIEW[view], []).append(view)
        self.codecs = {ENTITY_OF_VIEW[v]: KeyCodec(VIEWS[v][0], reader.key_suffix) for v in self.reads}
        self.caches: dict[str, RowCache | FeatureRows] = {
            v: RowCache(config.ttl(v), len(f), clock, keep_missing=v != "post_content") for v, f in self.reads.items()
        }
        if catalogue is not None and config.cache_ttl_s > 0:  # post and author rows: kept until an event changes them
            for view in self.reads.keys() & {v for views in ENTITY_VIEWS.values() for v in views}:
                self.caches[view] = catalogue.feature_rows(
                    view, len(self.reads[view]), keep_missing=view != "post_content"
                )

    @classmethod
    def from_store(
        cls, store: Any, config: HydratorConfig = HydratorConfig(), catalogue: PostCatalogue | None = None
    ) -> Hydrator:
        return cls(reader_for(store.config), config, catalogue=catalogue)

    def __call__(
        self, user_id: int, post_ids: Sequence[int], author_ids: Sequence[int], request_ts: float | None = None
    ) -> np.ndarray:
        return self.hydrate(user_id, post_ids, author_ids, request_ts)

    def hydrate(
        self, user_id: int, post_ids: Sequence[int], author_ids: Sequence[int], request_ts: float | None = None
    ) -> np.ndarray:
        """(len(post_ids) × len(columns)) float64; unknown ids get the documented defaults, never an error."""
        posts = np.asarray(post_ids, dtype=np.int64).reshape(-1)
        authors = np.asarray(author_ids, dtype=np.int64).reshape(-1)
        if len(posts) != len(authors):
            raise ValueError("one author per candidate post")
        values = self._read(int(user_id), posts, authors)
        now = self.wall_clock() if request_ts is None else float(request_ts)
        if "post_created_ts" in values:
            values["post_age_hours"] = (now - values["post_created_ts"]) / 3600.0
        if "ua_last_interaction_ts" in values:
            values["ua_hours_since_last"] = (now - values["ua_last_interaction_ts"]) / 3600.0
        matrix = np.empty((len(posts), len(self.columns)))
        for j, column in enumerate(self.columns):
            matrix[:, j] = values[column]
        missing = np.isnan(matrix)
        matrix[missing] = np.broadcast_to(self.defaults, matrix.shape)[missing]
        return matrix

    def user_values(self, user_id: int) -> dict[str, float]:
        """The viewer's own features by name (NaN where the store has none), from a read of the user's rows
        alone. They are kept like every user row (`cache_ttl_s`), so the ranking's read that follows in the
        same request finds them kept: the user tower and the ranker read the viewer once."""
        values: dict[str, float] = {}
        for view in self.views_of.get("user", []):
            row, missed = self.caches[view].get([user_id])
            if missed[0]:
                keys = self.codecs["user"].matrix(np.array([[user_id]], dtype=np.int64))
                (row,) = self.reader.read_many([ReadRequest(keys, tuple((view, f) for f in self.reads[view]))])
                self.caches[view].put([user_id], row)
            values |= dict(zip(self.reads[view], row[0].tolist(), strict=True))
        return values

    def _read(self, user: int, posts: np.ndarray, authors: np.ndarray) -> dict[str, np.ndarray]:
        """Every read feature as a column of len(posts) (the user's broadcast)."""
        unique_posts, post_rows = np.unique(posts, return_inverse=True)
        unique_authors, author_rows = np.unique(authors, return_inverse=True)
        pairs = np.column_stack([np.full(len(unique_authors), user, dtype=np.int64), unique_authors])
        entities: dict[str, tuple[np.ndarray, list[Any], np.ndarray]] = {  # keys, cache ids, row per candidate
            "user": (np.array([[user]]), [user], np.zeros(len(posts), dtype=np.intp)),
            "post": (unique_posts[:, None], unique_posts.tolist(), post_rows),
            "author": (unique_authors[:, None], unique_authors.tolist(), author_rows),
            "pair": (pairs, [(user, a) for a in unique_authors.tolist()], author_rows),
        }
        tables: dict[str, np.ndarray] = {}
        plan: list[tuple[str, list[str], np.ndarray]] = []  # entity, views, unique rows to fetch
        requests: list[ReadRequest] = []
        for entity, views in self.views_of.items():
            keys, ids, _ = entities[entity]
            misses = []
            for view in views:
                tables[view], missed = self.caches[view].get(ids)
                misses.append(missed)
            pattern = np.packbits(np.stack(misses, axis=1), axis=1, bitorder="little")[:, 0]
            encoded = self.codecs[entity].matrix(keys) if pattern.any() else keys
            for code in np.unique(pattern[pattern > 0]).tolist():
                rows = np.flatnonzero(pattern == code)
                fetched = [v for i, v in enumerate(views) if code >> i & 1]
                plan.append((entity, fetched, rows))
                requests.append(ReadRequest(encoded[rows], tuple((v, f) for v in fetched for f in self.reads[v])))
        for (entity, fetched, rows), matrix in zip(plan, self.reader.read_many(requests), strict=True):
            start = 0
            for view in fetched:
                width = len(self.reads[view])
                tables[view][rows] = matrix[:, start : start + width]
                start += width
                ids = entities[entity][1]
                self.caches[view].put([ids[r] for r in rows.tolist()], tables[view][rows])
        values: dict[str, np.ndarray] = {}
        for view, features in self.reads.items():
            spread = tables[view][entities[ENTITY_OF_VIEW[view]][2]]
            for j, feature in enumerate(features):
                values[feature] = spread[:, j]
        return values

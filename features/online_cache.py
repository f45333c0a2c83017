"""`RowCache`: one feature view's decoded rows by entity id, each kept for `ttl_s` seconds.

What may be a little stale (a user's or an author's aggregates) or never changes (a post's content)
is kept decoded between hydrations, so only the fresh counters travel each time. Rows live in one
matrix, an id's slot found through a dict: a hydration's hundreds of lookups are one pass over the
ids, then whole-array steps (a row object per id, stacked per call, cost more than the Redis read they
saved). Bounded: when it holds `max_rows`, the expired rows go, and if that is not enough, everything does.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import numpy as np


class RowCache:
    def __init__(
        self,
        ttl_s: float,
        width: int,
        clock: Callable[[], float],
        *,
        keep_missing: bool = True,  # False: an absent row is not remembered (it may appear any moment)
        max_rows: int = 200_000,
    ) -> None:
        self.ttl_s, self.width, self.clock = ttl_s, width, clock
        self.keep_missing, self.max_rows = keep_missing, max_rows
        self.slots: dict[Hashable, int] = {}  # id -> row of `values` and `expires`
        self.values = np.empty((0, width))
        self.expires = np.empty(0)

    def __len__(self) -> int:
        return len(self.slots)

    def __contains__(self, entity: Hashable) -> bool:
        return entity in self.slots

    def get(self, ids: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, missed): rows (n × width) with NaN where `missed` (n bools) says the cache has none."""
        out = np.full((len(ids), self.width), np.nan)
        if not self.slots:
            return out, np.ones(len(ids), dtype=bool)
        find = self.slots.get
        slots = np.fromiter((find(i, -1) for i in ids), dtype=np.intp, count=len(ids))
        hit = slots >= 0
        hit[hit] = self.expires[slots[hit]] > self.clock()
        out[hit] = self.values[slots[hit]]
        return out, ~hit

    def put(self, ids: Sequence[Hashable], rows: np.ndarray) -> None:
        if self.ttl_s <= 0 or not len(ids):
            return
        if not self.keep_missing:
            present = ~np.isnan(rows).all(axis=1)
            ids, rows = [i for i, p in zip(ids, present.tolist(), strict=True) if p], rows[present]
        if len(self.slots) + len(ids) > self.max_rows:
            self._evict()
        slots = self._slots_for(ids)
        self.values[slots] = rows
        self.expires[slots] = self.clock() + self.ttl_s

    def _slots_for(self, ids: Sequence[Hashable]) -> np.ndarray:
        """Each id's row, new ids given the next free ones (the matrix doubles when full)."""
        slots, find = self.slots, self.slots.get
        for entity in ids:
            if find(entity) is None:
                slots[entity] = len(slots)
        if len(slots) > len(self.expires):
            self._grow(max(len(slots), 2 * len(self.expires), 1024))
        return np.fromiter((slots[i] for i in ids), dtype=np.intp, count=len(ids))

    def _grow(self, capacity: int) -> None:
        values, expires = np.empty((capacity, self.width)), np.full(capacity, -np.inf)
        values[: len(self.values)], expires[: len(self.expires)] = self.values, self.expires
        self.values, self.expires = values, expires

    def _evict(self) -> None:
        now = self.clock()
        fresh = [(entity, slot) for entity, slot in self.slots.items() if self.expires[slot] > now]
        if len(fresh) > self.max_rows // 2:
            fresh = []
        kept = np.array([slot for _, slot in fresh], dtype=np.intp)
        self.values, self.expires = self.values[kept], self.expires[kept]
        self.slots = {entity: row for row, (entity, _) in enumerate(fresh)}

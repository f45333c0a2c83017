"""`RowCache`: one feature view's decoded rows by entity id, each kept for `ttl_s` seconds.

What may be a little stale (a user's or an author's aggregates) or never changes (a post's content)
is kept decoded between hydrations, so only the fresh counters travel each time. Bounded: when it
holds `max_rows`, the expired rows go, and if that is not enough, everything does.
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
        self.rows: dict[Hashable, tuple[float, np.ndarray]] = {}

    def get(self, ids: Sequence[Hashable]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, missed): rows (n × width) with NaN where `missed` (n bools) says the cache has none."""
        out = np.full((len(ids), self.width), np.nan)
        if not self.rows:
            return out, np.ones(len(ids), dtype=bool)
        now, found = self.clock(), self.rows.get
        entries = [found(i) for i in ids]
        fresh = [e is not None and e[0] > now for e in entries]
        hit = np.array(fresh, dtype=bool)
        if hit.any():
            out[hit] = np.stack([e[1] for e, ok in zip(entries, fresh, strict=True) if ok and e is not None])
        return out, ~hit

    def put(self, ids: Sequence[Hashable], rows: np.ndarray) -> None:
        if self.ttl_s <= 0 or not len(ids):
            return
        keep = np.ones(len(ids), dtype=bool) if self.keep_missing else ~np.isnan(rows).all(axis=1)
        if len(self.rows) + len(ids) > self.max_rows:
            self._evict()
        expires = self.clock() + self.ttl_s
        self.rows.update((i, (expires, row)) for i, row, k in zip(ids, rows, keep.tolist(), strict=True) if k)

    def _evict(self) -> None:
        now = self.clock()
        self.rows = {i: entry for i, entry in self.rows.items() if entry[0] > now}
        if len(self.rows) > self.max_rows // 2:
            self.rows.clear()

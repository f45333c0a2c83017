"""Point-in-time sums over sliding windows, vectorised with sorted codes and `searchsorted`.

Events and query points are (key, time) pairs. For each query point (k, t) and counter,
`sum(value of events with key k and t - window < time <= t)` (no window: every event up to t).
Keys and times are packed into one sortable int64 code, `key * span + (time - t0)`, so one
`searchsorted` per window finds every query's range at once: O((n + q) log n), no Python loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Counter:
    values: np.ndarray  # float per event (1 for a like, -1 for an unlike, 0 for other events)
    window_ms: int | None = None  # None: all time


class Timeline:
    """The events of one entity kind, sorted; answers windowed sums at arbitrary query points."""

    def __init__(self, keys: np.ndarray, ts_ms: np.ndarray, t0: int, span: int) -> None:
        self.t0, self.span = t0, span
        self.order = np.lexsort((ts_ms, keys))
        self.codes = keys[self.order] * span + (ts_ms[self.order] - t0)
        self.keys = keys[self.order]
        self.ts_ms = ts_ms[self.order]

    def code(self, keys: np.ndarray, ts_ms: np.ndarray) -> np.ndarray:
        return np.asarray(keys * self.span + (ts_ms - self.t0), dtype=np.int64)

    def sums(self, counters: dict[str, Counter], q_keys: np.ndarray, q_ts: np.ndarray) -> dict[str, np.ndarray]:
        q_codes = self.code(q_keys, q_ts)
        hi = np.searchsorted(self.codes, q_codes, side="right")
        floor = q_keys * self.span - 1  # just below the key's first possible code
        lows: dict[int | None, np.ndarray] = {}
        out: dict[str, np.ndarray] = {}
        for name, counter in counters.items():
            w = counter.window_ms
            if w not in lows:
                lows[w] = np.searchsorted(self.codes, floor if w is None else np.maximum(q_codes - w, floor), "right")
            cum = np.concatenate([[0.0], np.cumsum(counter.values[self.order], dtype=np.float64)])
            out[name] = cum[hi] - cum[lows[w]]
        return out

    def last_time(self, mask: np.ndarray, q_keys: np.ndarray, q_ts: np.ndarray) -> np.ndarray:
        """Epoch ms of the key's latest masked event at or before each query (NaN when none)."""
        sel = mask[self.order]
        codes, keys, ts = self.codes[sel], self.keys[sel], self.ts_ms[sel]
        i = np.searchsorted(codes, self.code(q_keys, q_ts), side="right") - 1
        found = (i >= 0) & (keys[np.maximum(i, 0)] == q_keys)
        return np.where(found, ts[np.maximum(i, 0)].astype(np.float64), np.nan)


def make_timeline(keys: np.ndarray, ts_ms: np.ndarray, until_ms: int, longest_window_ms: int) -> Timeline:
    t0 = int(ts_ms.min()) - longest_window_ms - 1 if len(ts_ms) else 0
    span = max(until_ms, int(ts_ms.max()) if len(ts_ms) else 0) - t0 + 2
    if len(keys) and (int(keys.max()) + 1) * span >= 2**62:
        raise OverflowError("too many keys × too long a time span for int64 codes")
    return Timeline(keys, ts_ms, t0, span)


def query_points(keys: np.ndarray, ts_ms: np.ndarray, until_ms: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Unique (key, time) of the events, plus one point per key at `until_ms` (the build's as-of time)."""
    if until_ms is not None and len(keys):
        unique_keys = np.unique(keys)
        keys = np.concatenate([keys, unique_keys])
        ts_ms = np.concatenate([ts_ms, np.full(len(unique_keys), until_ms, dtype=np.int64)])
    frame = pd.DataFrame({"k": keys, "t": ts_ms}).drop_duplicates()
    return frame["k"].to_numpy(), frame["t"].to_numpy()


def factorize(*columns: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Dense int64 codes for (tuples of) id columns, and the unique ids per code."""
    if len(columns) == 1:
        codes, uniques = pd.factorize(columns[0], sort=False)
        return codes.astype(np.int64), [np.asarray(uniques, dtype=np.int64)]
    index = pd.MultiIndex.from_arrays(list(columns))
    codes, uniques = index.factorize()
    return codes.astype(np.int64), [uniques.get_level_values(i).to_numpy(np.int64) for i in range(len(columns))]

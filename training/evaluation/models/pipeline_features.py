"""What a feed platform knows about a (user, item) pair beyond the matrix, as of the user's *now*.

*Now* is the time of the user's last history positive. Item counts are taken over windows ending at
now (trending then, not trending today: a user active in 2001 met the films of 2001), along with the
item's age and idle time at now and the user's own activity. Two item facts are over the whole history,
as ALS reads it: the item's mean engagement time and mean rating. Everything is computed from the
history frame handed in and nothing else, so features built on the ranker's training cut cannot see
the positives that label it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from training.evaluation.models.pipeline_cut import cut_times, seconds

DAY = 86_400
TIME_BITS = 34  # epoch seconds fit in 34 bits until the year 2514; the item index sits above them


@dataclass(frozen=True)
class FeatureConfig:
    windows_days: tuple[int, ...] = (7, 30, 365)  # item engagement counted over each window ending at now
    session_days: float = 1.0  # the user's positives within this span before now: their current session


class HistoryFeatures:
    """Built once from a history frame (``user_idx``, ``item_idx``, ``timestamp``[, ``rating``])."""

    def __init__(self, history: pd.DataFrame, n_users: int, n_items: int, config: FeatureConfig | None = None) -> None:
        self.config = config or FeatureConfig()
        users = history["user_idx"].to_numpy(np.int64)
        items = history["item_idx"].to_numpy(np.int64)
        stamps = seconds(history["timestamp"])
        self.now = cut_times(history, n_users)
        self._item_keys = np.sort((items << TIME_BITS) | stamps)
        self._item_start = np.searchsorted(self._item_keys, np.arange(n_items + 1, dtype=np.int64) << TIME_BITS)
        self._all_times = np.sort(stamps)
        self._user_keys = np.sort((users << TIME_BITS) | stamps)
        self._user_start = np.searchsorted(self._user_keys, np.arange(n_users + 1, dtype=np.int64) << TIME_BITS)
        self._item_mean_time = _mean_by(items, stamps.astype(np.float64), n_items)
        rating = history["rating"].to_numpy(np.float64) if "rating" in history else np.full(len(history), np.nan)
        self._item_rating = _mean_by(items, rating, n_items)
        self._user_rating = _mean_by(users, rating, n_users)

    @property
    def names(self) -> tuple[str, ...]:
        windows = self.config.windows_days
        return (
            *(f"item_count_{days}d" for days in windows),
            *(f"item_share_{days}d" for days in windows),
            "item_count_to_now",
            "item_age_days",
            "item_idle_days",
            "item_mean_time_gap_days",
            "item_mean_rating",
            "user_count",
            "user_span_days",
            "user_session_count",
            "user_mean_rating",
        )

    def __call__(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """(N, len(names)) features of the pairs ``(users[r], items[r])``."""
        now = self.now[users]
        counts = [self._item_count(items, now - days * DAY, now) for days in self.config.windows_days]
        totals = [self._all_count(now - days * DAY, now) for days in self.config.windows_days]
        shares = [np.divide(c, t, out=np.zeros(len(c)), where=t > 0) for c, t in zip(counts, totals, strict=True)]
        to_now = self._item_count(items, np.full_like(now, -1), now)
        first, last = self._item_start[items], self._item_start[items] + to_now - 1
        seen = to_now > 0
        user_first = self._user_time(self._user_start[users])
        session = self._user_start[users + 1] - self._user_index(users, now - int(self.config.session_days * DAY))
        columns = [
            *counts,
            *shares,
            to_now,
            np.where(seen, (now - self._item_time(first)) / DAY, np.nan),
            np.where(seen, (now - self._item_time(last)) / DAY, np.nan),
            (now - self._item_mean_time[items]) / DAY,
            self._item_rating[items],
            np.diff(self._user_start)[users],
            (now - user_first) / DAY,
            session,
            self._user_rating[users],
        ]
        return np.stack([np.asarray(column, dtype=np.float64) for column in columns], axis=1)

    def _item_count(self, items: np.ndarray, after: np.ndarray, until: np.ndarray) -> np.ndarray:
        """Positives of each item in (after, until]."""
        high = np.searchsorted(self._item_keys, (items << TIME_BITS) | np.maximum(until, 0), side="right")
        low = np.searchsorted(self._item_keys, (items << TIME_BITS) | np.maximum(after, 0), side="right")
        low = np.where(after < 0, self._item_start[items], low)
        counts: np.ndarray = (high - low).astype(np.int64)
        return counts

    def _all_count(self, after: np.ndarray, until: np.ndarray) -> np.ndarray:
        counts: np.ndarray = np.searchsorted(self._all_times, until, "right") - np.searchsorted(
            self._all_times, after, "right"
        )
        return counts

    def _user_index(self, users: np.ndarray, after: np.ndarray) -> np.ndarray:
        index: np.ndarray = np.searchsorted(self._user_keys, (users << TIME_BITS) | np.maximum(after, 0), side="right")
        return index

    def _item_time(self, index: np.ndarray) -> np.ndarray:
        return _time_at(self._item_keys, index)

    def _user_time(self, index: np.ndarray) -> np.ndarray:
        return _time_at(self._user_keys, index)


def _time_at(keys: np.ndarray, index: np.ndarray) -> np.ndarray:
    """The time part of ``keys[index]`` (index clipped into range; callers mask rows with nothing there)."""
    if len(keys) == 0:
        return np.zeros(len(index), dtype=np.int64)
    times: np.ndarray = keys[np.clip(index, 0, len(keys) - 1)] & ((1 << TIME_BITS) - 1)
    return times


def _mean_by(index: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Mean of ``values`` per index (NaN where none, or where every value is NaN)."""
    known = ~np.isnan(values)
    sums = np.bincount(index[known], values[known], minlength=size)
    counts = np.bincount(index[known], minlength=size)
    means: np.ndarray = np.divide(sums, counts, out=np.full(size, np.nan), where=counts > 0)
    return means

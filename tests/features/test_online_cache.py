"""`RowCache`: rows by entity id, each for `ttl_s` seconds, bounded."""

from __future__ import annotations

import numpy as np

from features.online_cache import RowCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_rows_come_back_until_they_expire_and_a_put_refreshes_them() -> None:
    clock = Clock()
    cache = RowCache(5.0, 2, clock)
    cache.put([7, (1, 2)], np.array([[1.0, 2.0], [3.0, 4.0]]))
    rows, missed = cache.get([(1, 2), 8, 7])
    assert missed.tolist() == [False, True, False]
    np.testing.assert_array_equal(rows[[0, 2]], [[3.0, 4.0], [1.0, 2.0]])
    assert np.isnan(rows[1]).all()
    clock.now = 4.0
    cache.put([7], np.array([[9.0, 9.0]]))  # refreshed: lives to 9.0
    clock.now = 6.0
    rows, missed = cache.get([7, (1, 2)])
    assert missed.tolist() == [False, True] and rows[0].tolist() == [9.0, 9.0]


def test_absent_rows_are_kept_only_when_asked() -> None:
    absent = np.array([[np.nan, np.nan], [1.0, np.nan]])
    kept, skipped = RowCache(5.0, 2, Clock()), RowCache(5.0, 2, Clock(), keep_missing=False)
    for cache in (kept, skipped):
        cache.put([1, 2], absent)
    assert kept.get([1, 2])[1].tolist() == [False, False]
    assert skipped.get([1, 2])[1].tolist() == [True, False] and 1 not in skipped and len(skipped) == 1


def test_a_zero_ttl_keeps_nothing() -> None:
    cache = RowCache(0.0, 1, Clock())
    cache.put([1], np.array([[1.0]]))
    assert len(cache) == 0 and cache.get([1])[1].all()


def test_full_it_drops_the_expired_rows_then_everything() -> None:
    clock = Clock()
    cache = RowCache(1.0, 1, clock, max_rows=4)
    cache.put([1, 2, 3], np.array([[1.0], [2.0], [3.0]]))
    clock.now = 0.5
    cache.put([4], np.array([[4.0]]))
    clock.now = 1.2  # 1-3 expired, 4 still fresh
    cache.put([5], np.array([[5.0]]))
    assert cache.get([4, 5])[0][:, 0].tolist() == [4.0, 5.0] and len(cache) == 2
    cache.put([6], np.array([[6.0]]))
    cache.put([7, 8], np.array([[7.0], [8.0]]))  # 3 + 2 > 4, and 3 fresh are over half: cleared first
    assert len(cache) == 2 and cache.get([4, 5, 6])[1].all() and not cache.get([7, 8])[1].any()


def test_it_grows_past_its_first_capacity() -> None:
    cache = RowCache(5.0, 1, Clock())
    ids = list(range(3000))
    cache.put(ids, np.arange(3000, dtype=float)[:, None])
    rows, missed = cache.get(ids[::-1])
    assert not missed.any() and rows[:, 0].tolist() == [float(i) for i in ids[::-1]]

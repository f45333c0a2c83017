"""Shared shaping of one feature view's output: join keys + `event_timestamp` + feature columns."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.batch.windows import Counter
from features.schema import default

TIMESTAMP = "event_timestamp"


def indicator(types: pd.Series, *kinds: str, sign: float = 1.0) -> np.ndarray:
    return np.where(types.isin(kinds).to_numpy(), sign, 0.0)


def counters_for(
    types: pd.Series,
    names: dict[str, str],
    windows: dict[str, int],
    prefix: str,
    negatives: dict[str, str] | None = None,
) -> dict[str, Counter]:
    """`{prefix}_{name}_{window}` counters: +1 per event of the counted type (−1 per its undo)."""
    counters: dict[str, Counter] = {}
    for name, kind in names.items():
        values = indicator(types, kind)
        if negatives and kind in negatives:
            values = values - indicator(types, negatives[kind])
        for label, window in windows.items():
            counters[f"{prefix}_{name}_{label}"] = Counter(values, window * 1000 if window else None)
    return counters


def output(
    key_names: tuple[str, ...],
    uniques: list[np.ndarray],
    q_keys: np.ndarray,
    q_ts: np.ndarray,
    columns: dict[str, np.ndarray],
) -> pd.DataFrame:
    frame = pd.DataFrame({name: uniques[i][q_keys] for i, name in enumerate(key_names)})
    frame[TIMESTAMP] = pd.to_datetime(q_ts, unit="ms", utc=True)
    for name, values in columns.items():
        frame[name] = np.asarray(values, dtype=np.float64)
    frame = pd.concat([_sentinels(frame, key_names, list(columns)), frame], ignore_index=True)
    return frame.sort_values([TIMESTAMP, *key_names], kind="stable", ignore_index=True)


def _sentinels(frame: pd.DataFrame, key_names: tuple[str, ...], features: list[str]) -> pd.DataFrame:
    """One row of defaults per key at the epoch (what a point-in-time join means by "no row yet").

    Feast's file offline store (dask `_filter_ttl`) DROPS an entity row whose key has feature rows
    only after its timestamp, instead of leaving its features null: a training set would silently
    lose the impressions of every first interaction. A row at the epoch makes every key match.
    """
    keys = frame[list(key_names)].drop_duplicates(ignore_index=True)
    keys[TIMESTAMP] = pd.Timestamp(0, tz="UTC")
    for name in features:
        keys[name] = default(name)
    return keys


def empty(key_names: tuple[str, ...], features: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame({name: np.zeros(0, np.int64) for name in key_names})
    frame[TIMESTAMP] = pd.to_datetime(np.zeros(0, np.int64), unit="ms", utc=True)
    for name in features:
        frame[name] = np.zeros(0, np.float64)
    return frame

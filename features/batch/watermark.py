"""`last_event_ids`: for each row time, the newest outbox event id the batch folded in by then.

A streamed view's row carries it (`features.schema.LAST_EVENT`) so that, once materialized, the
stream push skips the events the batch already counted (a relay that lags behind a build would
otherwise count them twice). Outbox ids grow with time, so "every counted event up to time t" is
"every counted event with id ≤ the largest id up to t".
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def last_event_ids(events: pd.DataFrame, at: pd.Series) -> np.ndarray:
    """`events`: the loaded outbox frame (id, ts_ms); `at`: row timestamps. 0 before the first event."""
    order = np.argsort(events["ts_ms"].to_numpy(), kind="stable")
    ts = events["ts_ms"].to_numpy()[order]
    newest = np.maximum.accumulate(events["id"].to_numpy()[order]) if len(order) else np.zeros(0, np.int64)
    at_ms = pd.to_datetime(at, utc=True).dt.tz_convert(None).to_numpy().astype("datetime64[ms]").astype(np.int64)
    i = np.searchsorted(ts, at_ms, side="right") - 1
    return np.where(i >= 0, newest[np.maximum(i, 0)] if len(newest) else 0, 0).astype(np.float64)

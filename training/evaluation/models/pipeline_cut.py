"""The ranker's own training cut: the protocol's per-user time split applied again, inside train.

The ranker needs labelled examples, and the test split must stay unseen. So each user's train
positives are cut in time exactly as the protocol cuts the whole log (last 20% held out): retrieval
and features see the earlier part (the *history*), the later part labels the candidates. At
evaluation the same code runs with the full train as history, so the ranker meets features built the
way it was trained on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from training.evaluation.split import TEST_FRACTION, Split

MIN_HISTORY = 2  # a user needs this many earlier positives to be a training example


def hold_out_last(split: Split, fraction: float = TEST_FRACTION, min_history: int = MIN_HISTORY) -> Split:
    """A `Split` of ``split.train``: per user, the last max(1, floor(fraction · n)) positives become test.

    Users with fewer than ``min_history`` + 1 train positives stay whole in the history (no labels).
    The catalogue and the id mappings are the original ones, so item indices mean the same items.
    """
    train = split.train.sort_values(["user_idx", "timestamp", "item_idx"], kind="stable")
    n = train.groupby("user_idx")["item_idx"].transform("size").to_numpy()
    position = train.groupby("user_idx").cumcount().to_numpy()
    n_held = np.maximum(1, np.floor(n * fraction).astype(np.int64))
    held = (position >= n - n_held) & (n - n_held >= min_history)
    return Split(
        train=train[~held].reset_index(drop=True),
        test=train[held].reset_index(drop=True),
        n_users=split.n_users,
        n_items=split.n_items,
        user_ids=split.user_ids,
        item_ids=split.item_ids,
    )


def seconds(timestamps: pd.Series) -> np.ndarray:
    """UTC datetimes → integer epoch seconds (the unit every time feature is computed in)."""
    elapsed = timestamps - pd.Timestamp(0, tz="UTC")
    out: np.ndarray = (elapsed // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
    return out


def cut_times(history: pd.DataFrame, n_users: int) -> np.ndarray:
    """Each user's *now*: the time of their last history positive (-1 for users without history)."""
    now = np.full(n_users, -1, dtype=np.int64)
    np.maximum.at(now, history["user_idx"].to_numpy(), seconds(history["timestamp"]))
    return now

"""The user tower's dense features for training: `two_tower_v1`'s user features, point in time.

Each example gets the features as of 1 ms before its engagement (Feast `get_historical_features` over
the batch pipeline's parquet), so it never sees the engagement itself nor anything later; serving
reads the same features from the online store (`candidates.two_tower.user_features`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from feast import FeatureStore

from candidates.two_tower.user_features import USER_FEATURES
from features.schema import default


def user_features_at(store: FeatureStore, user_ids: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
    """(N, len(USER_FEATURES)) float32 for users at epoch-second ``timestamps``; missing → defaults."""
    if len(user_ids) == 0:
        return np.zeros((0, len(USER_FEATURES)), dtype=np.float32)
    at_ms = np.round(np.asarray(timestamps, dtype=np.float64) * 1000).astype(np.int64) - 1
    frame = pd.DataFrame(
        {"user_id": np.asarray(user_ids, dtype=np.int64), "event_timestamp": pd.to_datetime(at_ms, unit="ms", utc=True)}
    )
    entity = frame.drop_duplicates(ignore_index=True)
    refs = [f"user_engagement:{name}" for name in USER_FEATURES]
    joined = store.get_historical_features(entity_df=entity, features=refs).to_df()
    joined["event_timestamp"] = pd.to_datetime(joined["event_timestamp"], utc=True)
    out = frame.merge(
        joined[["user_id", "event_timestamp", *USER_FEATURES]], on=["user_id", "event_timestamp"], how="left"
    )
    matrix = np.empty((len(frame), len(USER_FEATURES)), dtype=np.float32)
    for j, name in enumerate(USER_FEATURES):
        values = pd.to_numeric(out[name], errors="coerce").to_numpy(dtype=np.float64)
        matrix[:, j] = np.where(np.isnan(values), default(name), values)
    return matrix

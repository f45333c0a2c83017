"""The stock path, as the reference: `FeatureStore.get_online_features` → the same matrix as `Hydrator`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from features.schema import default, service_columns


def stock_features(
    store: Any, service: str, user_id: int, post_ids: Sequence[int], author_ids: Sequence[int], request_ts: float
) -> np.ndarray:
    """`get_online_features(features=<service>)` for one user × N candidates, None → the documented default."""
    rows = [
        {"user_id": int(user_id), "post_id": int(p), "author_id": int(a), "request_ts": float(request_ts)}
        for p, a in zip(post_ids, author_ids, strict=True)
    ]
    result = store.get_online_features(features=store.get_feature_service(service), entity_rows=rows).to_dict()
    columns = service_columns(service)
    matrix = np.empty((len(rows), len(columns)))
    for j, name in enumerate(columns):
        values = np.array([np.nan if v is None else v for v in result[name]], dtype=np.float64)
        matrix[:, j] = np.where(np.isnan(values), default(name), values)
    return matrix

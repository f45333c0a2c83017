"""Train/serve skew: the same keys at the same time through the online path (`Hydrator`, what serving
reads) and the offline path (`get_historical_features` on the batch parquet, what training reads).

Recent impressions are sampled for their (user, post, author) keys; both sides are read as of one
time `as_of` (by default the newest event), the request-time features with `request_ts = as_of`.
Anything that differs is skew: a stream push the batch does not reproduce, a materialization that
did not run, a feature computed two ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
from feast import FeatureStore
from sqlalchemy.engine import Engine

from features.batch.events import load_events, ms_of
from features.hydrate import Hydrator, HydratorConfig
from features.schema import service_columns
from features.training_set import KEYS, TrainingSetConfig, join_features


@dataclass(frozen=True)
class SkewConfig:
    service: str = "ranker_v1"
    sample: int = 500  # most recent impressions compared
    threshold: float = 0.01  # a feature fails above this mismatch rate
    rtol: float = 1e-6
    atol: float = 1e-9
    as_of: datetime | None = None  # default: the newest event's time


@dataclass
class SkewReport:
    rows: int
    as_of_ms: int
    mismatch: dict[str, float]  # feature → share of rows where online and offline differ
    threshold: float

    @property
    def failing(self) -> list[str]:
        return [name for name, rate in self.mismatch.items() if rate > self.threshold]

    @property
    def ok(self) -> bool:
        return not self.failing


def sample_keys(engine: Engine, config: SkewConfig) -> tuple[pd.DataFrame, int]:
    events = load_events(engine, types=("impression",)).frame
    everything = load_events(engine, types=("impression", "like", "comment", "save", "share", "hide", "follow"))
    as_of_ms = ms_of(config.as_of) if config.as_of else int(everything.frame["ts_ms"].max() or 0)
    recent = events[events["ts_ms"] <= as_of_ms].tail(config.sample)
    keys = pd.DataFrame(
        {
            "impression_id": recent["id"].to_numpy(),
            "user_id": recent["actor_id"].to_numpy(),
            "post_id": recent["post_id"].to_numpy(),
            "author_id": recent["target_id"].to_numpy(),
        }
    )
    keys["impression_ts"] = as_of_ms
    return keys[KEYS], as_of_ms


def check_skew(store: FeatureStore, engine: Engine, config: SkewConfig = SkewConfig()) -> SkewReport:
    keys, as_of_ms = sample_keys(engine, config)
    columns = service_columns(config.service)
    if keys.empty:
        return SkewReport(0, as_of_ms, dict.fromkeys(columns, 0.0), config.threshold)
    offline = join_features(store, keys, TrainingSetConfig(service=config.service, lookback_ms=0))
    hydrator = Hydrator.from_store(store, HydratorConfig(service=config.service, cache_ttl_s=0))
    online = np.empty((len(keys), len(columns)))
    for user, rows in keys.groupby("user_id").indices.items():
        part = keys.iloc[rows]
        online[rows] = hydrator(int(user), part["post_id"].tolist(), part["author_id"].tolist(), as_of_ms / 1000.0)
    differs = ~np.isclose(online, offline[columns].to_numpy(np.float64), rtol=config.rtol, atol=config.atol)
    return SkewReport(
        len(keys), as_of_ms, dict(zip(columns, differs.mean(axis=0).tolist(), strict=True)), config.threshold
    )

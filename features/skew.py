"""Train/serve skew, per impression: what the ranker was served at the impression's time vs the
training-set row of the same impression (same user, post, author and timestamp).

Offline side: `features.training_set.join_features`, i.e. exactly the training row (point in time,
1 ms before the impression). Online side, per sampled impression:
- **logged**: when the impression's payload carries `features` (as served: `features.logged_row`), those
  values: exact, whatever happened to the online store since;
- **recomputed** otherwise (impressions written today carry request id, position, policy, model
  version, source and dwell, not the features): the `Hydrator` (what serving reads) on the online
  store now, with `request_ts` = the training row's. The store keeps one row per entity key, the
  newest, so a row shows what was served at the impression only if it was written *before* it
  (Feast's event timestamp of the row, read with Feast's own `online_read`, at least `slack_ms`
  earlier: the SQLite online store keeps whole seconds). Rows written at or after the impression
  (a later push, the impression's own push, a newer materialization) make that view's features of
  that impression **not comparable**: left out of its mismatch rate (see `compared`), never guessed.
  So with the relay running, the views an impression itself updates (post counters, the viewer's
  and the author's rows) are comparable only for logged impressions; logging the served features
  in the impression payload (`{"features": ...}`) makes every impression comparable.
A stream push the batch does not reproduce, a materialization that did not run, or a feature
computed two ways shows up as a mismatch rate above `threshold`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from feast import FeatureStore
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Engine

from features import logged_row
from features.batch.events import load_events
from features.hydrate import ODFV_INPUTS, Hydrator, HydratorConfig
from features.schema import REQUEST_VIEW, SERVICES, VIEWS, service_columns
from features.training_set import KEYS, TrainingSetConfig, join_features


@dataclass(frozen=True)
class SkewConfig:
    service: str = "ranker_v1"
    sample: int = 500  # most recent impressions compared
    threshold: float = 0.01  # a feature fails above this mismatch rate
    rtol: float = 1e-6
    atol: float = 1e-9
    as_of: datetime | None = None  # only impressions up to this time (default: all)
    slack_ms: int = 1_000  # a row counts as older than an impression only by this much (SQLite keeps whole seconds)


@dataclass
class SkewReport:
    rows: int  # impressions sampled
    logged: int  # of which carried their served features (logged under this service's columns)
    mismatch: dict[str, float]  # feature → share of its compared impressions where online ≠ offline
    compared: dict[str, int]  # feature → impressions whose online value is known (logged or provably unchanged)
    threshold: float

    @property
    def failing(self) -> list[str]:
        return [name for name, rate in self.mismatch.items() if rate > self.threshold]

    @property
    def ok(self) -> bool:
        return not self.failing


def sample_impressions(engine: Engine, config: SkewConfig) -> pd.DataFrame:
    """The most recent impressions (KEYS, each with its own time) and their logged features, if any."""
    events = load_events(engine, until=config.as_of, types=("impression",)).frame.tail(config.sample)
    keys = pd.DataFrame(
        {
            "impression_id": events["id"].to_numpy(),
            "user_id": events["actor_id"].to_numpy(),
            "post_id": events["post_id"].to_numpy(),
            "author_id": events["target_id"].to_numpy(),
            "impression_ts": events["ts_ms"].to_numpy(),
        }
    )[KEYS]
    keys["logged"] = _logged_features(engine, keys["impression_id"].tolist())
    return keys.reset_index(drop=True)


def _logged_features(engine: Engine, ids: list[int]) -> list[Any]:
    """Each impression's `payload["features"]` as logged (`features.logged_row`), None when absent."""
    if not ids:
        return []
    query = text("SELECT id, payload FROM events WHERE id IN :ids").bindparams(bindparam("ids", expanding=True))
    with engine.connect() as conn:
        payloads = {
            int(i): p if isinstance(p, dict) else json.loads(p or "{}") for i, p in conn.execute(query, {"ids": ids})
        }
    found = [(payloads.get(i) or {}).get("features") for i in ids]
    return [f if isinstance(f, dict) else None for f in found]


def online_row_ms(store: FeatureStore, view: str, keys: pd.DataFrame) -> np.ndarray:
    """Epoch ms of the online row of each key (NaN: no row), from Feast's own `online_read`."""
    join_keys = list(VIEWS[view][0])
    protos = [
        EntityKey(join_keys=join_keys, entity_values=[Value(int64_val=int(v)) for v in row])
        for row in keys[join_keys].itertuples(index=False)
    ]
    table = store.get_feature_view(view)
    rows = store._get_provider().online_read(config=store.config, table=table, entity_keys=protos)
    return np.array([np.nan if ts is None else _epoch_ms(ts) for ts, _ in rows], dtype=np.float64)


def _epoch_ms(moment: datetime) -> float:
    stamp = pd.Timestamp(moment)
    return float((stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).value // 10**6)


def _served(
    store: FeatureStore, keys: pd.DataFrame, request_ts: np.ndarray, config: SkewConfig
) -> tuple[np.ndarray, np.ndarray]:
    """(values, known): the recomputed online values and whether each one is provably what was served."""
    service, columns = config.service, service_columns(config.service)
    hydrator = Hydrator.from_store(store, HydratorConfig(service=service, cache_ttl_s=0))
    values = np.empty((len(keys), len(columns)))
    for (user, ts), rows in keys.assign(ts=request_ts).groupby(["user_id", "ts"]).indices.items():
        part = keys.iloc[rows]
        values[rows] = hydrator(int(user), part["post_id"].tolist(), part["author_id"].tolist(), float(ts))
    known = np.ones((len(keys), len(columns)), dtype=bool)
    for view in hydrator.reads:
        written = online_row_ms(store, view, keys)
        before = ~(written + config.slack_ms >= keys["impression_ts"].to_numpy())  # no row (NaN), or older
        for j, column in enumerate(columns):
            if _view_of(column, service) == view:
                known[:, j] &= before
    return values, known


def _view_of(column: str, service: str) -> str:
    for view, features in SERVICES[service].items():
        if column in features and view != REQUEST_VIEW:
            return view
    inputs = {"post_age_hours": "post_created_ts", "ua_hours_since_last": "ua_last_interaction_ts"}
    return ODFV_INPUTS[inputs[column]]


def check_skew(store: FeatureStore, engine: Engine, config: SkewConfig = SkewConfig()) -> SkewReport:
    keys = sample_impressions(engine, config)
    columns = service_columns(config.service)
    if keys.empty:
        return SkewReport(0, 0, dict.fromkeys(columns, 0.0), dict.fromkeys(columns, 0), config.threshold)
    training = TrainingSetConfig(service=config.service)
    offline = join_features(store, keys[KEYS], training)[columns].to_numpy(np.float64)
    request_ts = (keys["impression_ts"].to_numpy() - training.lookback_ms) / 1000.0
    online, known = _served(store, keys, request_ts, config)
    logged_rows = 0
    for i, logged in enumerate(keys["logged"]):
        if (served := logged_row.decode(logged, columns)) is not None:
            online[i] = [served.get(c, np.nan) for c in columns]
            known[i] = [c in served for c in columns]
            logged_rows += 1
    differs = ~np.isclose(online, offline, rtol=config.rtol, atol=config.atol) & known
    counts = known.sum(axis=0)
    rates = np.where(counts > 0, differs.sum(axis=0) / np.maximum(counts, 1), 0.0)
    return SkewReport(
        len(keys),
        logged_rows,
        dict(zip(columns, rates.tolist(), strict=True)),
        dict(zip(columns, counts.astype(int).tolist(), strict=True)),
        config.threshold,
    )

"""Training sets: impressions, labelled by the same user's later actions on the same post, with the
features of a feature service joined point in time by Feast's `get_historical_features`.

Features are looked up as of 1 ms *before* each impression, so a row never sees the impression
itself, nor anything after it (the label's actions included): what the ranker saw when it served.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from feast import FeatureStore
from sqlalchemy.engine import Engine

from features.batch.events import load_events
from features.repo.on_demand import _request_time
from features.schema import REQUEST_VIEW, SERVICES, VIEWS, default, service_columns

ODFV_INPUTS = {"post_created_ts": "post_content", "ua_last_interaction_ts": "user_author"}

LABELS = {"liked": "like", "commented": "comment", "saved": "save", "shared": "share", "hid": "hide"}
KEYS = ["impression_id", "user_id", "post_id", "author_id", "impression_ts"]


@dataclass(frozen=True)
class TrainingSetConfig:
    service: str = "ranker_v1"
    label_window_s: float = 24 * 3600.0  # an action counts for an impression if it follows within this
    lookback_ms: int = 1  # features as of this long before the impression
    limit: int | None = None  # the most recent impressions only


def label_impressions(events: pd.DataFrame, config: TrainingSetConfig) -> pd.DataFrame:
    """One row per impression event (KEYS + one 0/1 column per label) from an events frame."""
    impressions = events[events["type"] == "impression"].sort_values("id")
    if config.limit is not None:
        impressions = impressions.tail(config.limit)
    frame = pd.DataFrame(
        {
            "impression_id": impressions["id"].to_numpy(),
            "user_id": impressions["actor_id"].to_numpy(),
            "post_id": impressions["post_id"].to_numpy(),
            "author_id": impressions["target_id"].to_numpy(),
            "impression_ts": impressions["ts_ms"].to_numpy(),
        }
    )
    actions = events[events["type"].isin(list(LABELS.values()))]
    actions = actions[["actor_id", "post_id", "type", "ts_ms"]].rename(columns={"actor_id": "user_id", "ts_ms": "at"})
    pairs = frame[["impression_id", "user_id", "post_id", "impression_ts"]].merge(actions, on=["user_id", "post_id"])
    delay = pairs["at"] - pairs["impression_ts"]
    pairs = pairs[(delay > 0) & (delay <= config.label_window_s * 1000)]
    for label, kind in LABELS.items():
        hit = set(pairs.loc[pairs["type"] == kind, "impression_id"].tolist())
        frame[label] = frame["impression_id"].isin(hit).astype(np.int8)
    return frame


def join_features(store: FeatureStore, labelled: pd.DataFrame, config: TrainingSetConfig) -> pd.DataFrame:
    """Point-in-time features for each labelled impression, in the service's column order, None → default.

    One `get_historical_features` per feature view, on that view's *unique* (keys, timestamp) rows:
    Feast's file offline store drops duplicate (keys, timestamp) entity rows of a view, which loses
    whole impressions of a multi-view request (two candidates of one user served at the same time).
    The on-demand features are then computed by the view's own udf, as Feast would.
    """
    columns = service_columns(config.service)
    out = labelled.reset_index(drop=True).copy()
    if out.empty:
        return out.assign(**{c: pd.Series(dtype=float) for c in columns})
    out["event_timestamp"] = pd.to_datetime(out["impression_ts"] - config.lookback_ms, unit="ms", utc=True)
    out["request_ts"] = (out["impression_ts"] - config.lookback_ms) / 1000.0
    for view, features in _stored_reads(config.service).items():
        keys = list(VIEWS[view][0])
        entity = out[[*keys, "event_timestamp"]].drop_duplicates(ignore_index=True)
        refs = [f"{view}:{f}" for f in features]
        joined = store.get_historical_features(entity_df=entity, features=refs).to_df()
        joined["event_timestamp"] = pd.to_datetime(joined["event_timestamp"], utc=True)
        out = out.merge(joined[[*keys, "event_timestamp", *features]], on=[*keys, "event_timestamp"], how="left")
    if REQUEST_VIEW in SERVICES[config.service]:
        out = pd.concat([out, _request_time(out[["request_ts", *ODFV_INPUTS]])], axis=1)
    for name in columns:
        values = pd.to_numeric(out[name], errors="coerce").to_numpy(dtype=np.float64)
        out[name] = np.where(np.isnan(values), default(name), values)
    return out[[*labelled.columns, *columns]]


def _stored_reads(service: str) -> dict[str, list[str]]:
    reads = {view: list(features) for view, features in SERVICES[service].items() if view != REQUEST_VIEW}
    if REQUEST_VIEW in SERVICES[service]:
        for feature, view in ODFV_INPUTS.items():
            reads.setdefault(view, [])
            if feature not in reads[view]:
                reads[view].append(feature)
    return reads


def build_training_set(
    store: FeatureStore, engine: Engine, config: TrainingSetConfig = TrainingSetConfig()
) -> pd.DataFrame:
    """Impressions from the outbox → labels → point-in-time features (the batch parquet must be built)."""
    events = load_events(engine, types=("impression", *LABELS.values()))
    return join_features(store, label_impressions(events.frame, config), config)

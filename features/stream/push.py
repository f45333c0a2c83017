"""`push_events(store, events)`: the relay's feature side effect for a batch of new outbox events.

For every online row the events touch: read its current values (Feast's own online store, one
round trip per view), add the events' deltas, recompute the derived features (smoothed rates,
mutual, last interaction), and write the full row back with `store.push(<view>_push, df)` —
Feast's push sources, so the online store stays Feast's. Call it before `mark_processed`; it is
not idempotent (a batch pushed twice counts twice), the next batch build corrects any drift.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from feast import FeatureStore

from features.online_keys import KeyCodec
from features.online_readers import OnlineReader, reader_for
from features.repo.views import TIMESTAMP, push_source_name
from features.schema import POST_CONTENT_FEATURES, PRIOR_RATE, PRIOR_STRENGTH, VIEWS, default, smoothed_rate
from features.stream.deltas import event_deltas, field


def push_events(store: FeatureStore, events: Iterable[Any], reader: OnlineReader | None = None) -> dict[str, int]:
    """Push fresh rows for everything `events` (Event rows or dicts) changed; returns rows pushed per view."""
    deltas: dict[str, dict[tuple[int, ...], dict[str, float]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(float))
    )
    times: dict[tuple[str, tuple[int, ...]], datetime] = {}
    contents: list[dict[str, Any]] = []
    for event in events:
        kind, at = field(event, "type"), _utc(field(event, "created_at"))
        actor, post, target = field(event, "actor_id"), field(event, "post_id"), field(event, "target_id")
        for view, key, change in event_deltas(kind, actor, post, target):
            for name, value in change.items():
                deltas[view][key][name] += value
            times[(view, key)] = max(at, times.get((view, key), at))
        if kind == "post_created" and post is not None:
            contents.append(_content_row(post, field(event, "payload") or {}, at))
    reader = reader or reader_for(store.config)
    pushed = {}
    for view, rows in deltas.items():
        frame = _updated_rows(reader, view, rows, times)
        store.push(push_source_name(view), frame)
        pushed[view] = len(frame)
    if contents:
        store.push(push_source_name("post_content"), pd.DataFrame(contents))
        pushed["post_content"] = len(contents)
    return pushed


def _updated_rows(
    reader: OnlineReader,
    view: str,
    rows: dict[tuple[int, ...], dict[str, float]],
    times: dict[tuple[str, tuple[int, ...]], datetime],
) -> pd.DataFrame:
    join_keys, features = VIEWS[view]
    keys = list(rows)
    codec = KeyCodec(join_keys, reader.key_suffix)
    current = reader.read(view, [codec.one(*key) for key in keys], features)
    current = np.where(np.isnan(current), [default(f) for f in features], current)
    frame = pd.DataFrame(current, columns=features)
    engaged = {name: _engagements(frame, rate, imp) for name, rate, imp in _RATES.get(view, [])}
    for i, key in enumerate(keys):
        for name, value in rows[key].items():
            if name.startswith("_"):  # engagements behind a rate (author ones: see `_derive`)
                if name in engaged:
                    engaged[name][i] += value
            else:
                frame.loc[i, name] = max(frame.loc[i, name] + value, 0.0)
    for name, rate, imp in _RATES.get(view, []):
        frame[rate] = smoothed_rate(engaged[name], frame[imp].to_numpy())
    _derive(view, frame, keys, rows, times)
    for j, name in enumerate(join_keys):
        frame.insert(j, name, np.array([key[j] for key in keys], dtype=np.int64))
    frame[TIMESTAMP] = pd.to_datetime([times[(view, key)] for key in keys], utc=True)
    return frame


# view → (engagement delta, rate feature, its impressions feature)
_RATES = {
    "user_engagement": [
        ("_eng_7d", "user_engagement_rate_7d", "user_impressions_7d"),
        ("_eng_28d", "user_engagement_rate_28d", "user_impressions_28d"),
    ],
    "post_stats": [("_eng", "post_engagement_rate", "post_impressions_total")],
}


def _engagements(frame: pd.DataFrame, rate: str, impressions: str) -> np.ndarray:
    """Invert the smoothing: engagements = rate × (impressions + strength) − prior × strength."""
    return np.round(
        frame[rate].to_numpy() * (frame[impressions].to_numpy() + PRIOR_STRENGTH) - PRIOR_RATE * PRIOR_STRENGTH, 6
    )


def _derive(view: str, frame: pd.DataFrame, keys: list[tuple[int, ...]], rows: dict, times: dict) -> None:
    if view == "user_author":
        frame["ua_follows"] = frame["ua_follows"].clip(0, 1)
        frame["ua_followed_by"] = frame["ua_followed_by"].clip(0, 1)
        frame["ua_mutual"] = frame["ua_follows"] * frame["ua_followed_by"]
        touched = np.array(["ua_interactions_28d" in rows[key] for key in keys])
        now = np.array([times[(view, key)].timestamp() for key in keys])
        frame["ua_last_interaction_ts"] = np.where(touched, now, frame["ua_last_interaction_ts"])
    if view == "author_stats":
        # Author impressions are not stored: fold new engagements/impressions into the rate at a
        # fixed weight (the next batch build recomputes the exact 28-day rate).
        eng = np.array([rows[key].get("_eng", 0.0) for key in keys])
        imp = np.array([rows[key].get("_imp", 0.0) for key in keys])
        rate = frame["author_engagement_rate_28d"].to_numpy()
        frame["author_engagement_rate_28d"] = (rate * PRIOR_STRENGTH * 10 + eng) / (PRIOR_STRENGTH * 10 + imp)


def _content_row(post: int, payload: dict[str, Any], at: datetime) -> dict[str, Any]:
    from features.batch.events import media_type

    row = {"post_id": int(post), TIMESTAMP: pd.Timestamp(at)}
    values = [
        at.timestamp(),
        media_type(payload.get("media_ids") or [], {}),
        float(payload.get("caption_length", 0)),
        float(len(payload.get("hashtags") or [])),
    ]
    row.update(zip(POST_CONTENT_FEATURES, values, strict=True))
    return row


def _utc(value: Any) -> datetime:
    moment = pd.Timestamp(value).to_pydatetime()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

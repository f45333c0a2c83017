"""`push_events(store, events)`: the relay's feature side effect for a batch of new outbox events.

For every online row the events touch: read its current values (Feast's own online store, one
round trip), add the deltas of the events it has not seen yet, recompute the derived features
(smoothed rates, mutual, last interaction), and write the full row back with
`store.push(<view>_push, df)`: Feast's push sources, so the online store stays Feast's.

Idempotent: each row of a streamed view carries `last_event_id` (`features.schema.LAST_EVENT`),
the newest outbox event folded into it, written in the same Feast write as the counters. Events at
or below it are skipped, so a batch the relay hands over again (a later handler failed), or
batches that overlap, count once; the batch build sets it too, so events a build already counted
are skipped as well. This relies on a row's events being pushed in id order (one relay, or relays
that never push the same row concurrently: a read-modify-write race would lose updates anyway).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from feast import FeatureStore

from features.online_cells import OnlineReader, ReadRequest
from features.online_keys import KeyCodec
from features.online_readers import reader_for
from features.repo.views import TIMESTAMP, push_source_name
from features.schema import LAST_EVENT, POST_CONTENT_FEATURES, PRIOR_RATE, PRIOR_STRENGTH, VIEWS, default, smoothed_rate
from features.stream.deltas import Delta, event_deltas, field

Key = tuple[int, ...]
Pending = list[tuple[int, datetime, dict[str, float]]]  # (event id, event time, deltas) per row


def push_events(store: FeatureStore, events: Iterable[Any], reader: OnlineReader | None = None) -> dict[str, int]:
    """Push fresh rows for everything `events` (Event rows or dicts with an `id`) changed; rows pushed per view."""
    pending: dict[str, dict[Key, Pending]] = defaultdict(lambda: defaultdict(list))
    contents: list[dict[str, Any]] = []
    for event in events:
        event_id = field(event, "id")
        if event_id is None:
            raise ValueError("every pushed event needs its outbox id (idempotence)")
        kind, at = field(event, "type"), _utc(field(event, "created_at"))
        deltas: list[Delta] = list(
            event_deltas(kind, field(event, "actor_id"), field(event, "post_id"), field(event, "target_id"))
        )
        for view, key, change in deltas:
            pending[view][key].append((int(event_id), at, change))
        if kind == "post_created" and field(event, "post_id") is not None:
            contents.append(_content_row(field(event, "post_id"), field(event, "payload") or {}, at))
    reader = reader or reader_for(store.config)
    views = list(pending)
    requests = [_current_request(reader, view, list(pending[view])) for view in views]
    pushed = {}
    for view, current in zip(views, reader.read_many(requests), strict=True):
        frame = _updated_rows(view, pending[view], current)
        if len(frame):
            store.push(push_source_name(view), frame)
        pushed[view] = len(frame)
    if contents:  # immutable content: pushing it again writes the same row
        store.push(push_source_name("post_content"), pd.DataFrame(contents))
        pushed["post_content"] = len(contents)
    return pushed


def _current_request(reader: OnlineReader, view: str, keys: list[Key]) -> ReadRequest:
    join_keys, features = VIEWS[view]
    codec = KeyCodec(join_keys, reader.key_suffix)
    return ReadRequest(codec.matrix(np.array(keys, dtype=np.int64)), tuple((view, f) for f in features))


def _updated_rows(view: str, pending: dict[Key, Pending], current: np.ndarray) -> pd.DataFrame:
    join_keys, features = VIEWS[view]
    current = np.where(np.isnan(current), [default(f) for f in features], current)
    seen = current[:, features.index(LAST_EVENT)]
    rows: dict[Key, dict[str, float]] = {}
    times: dict[Key, datetime] = {}
    keep = []
    for i, (key, items) in enumerate(pending.items()):
        new = [item for item in items if item[0] > seen[i]]
        if not new:
            continue
        keep.append(i)
        totals: dict[str, float] = defaultdict(float)
        for _, _, change in new:
            for name, value in change.items():
                totals[name] += value
        totals[LAST_EVENT] = float(max(event_id for event_id, _, _ in new))
        rows[key], times[key] = totals, max(at for _, at, _ in new)
    keys = list(rows)
    frame = pd.DataFrame(current[keep], columns=features)
    engaged = {name: _engagements(frame, rate, imp) for name, rate, imp in _RATES.get(view, [])}
    for i, key in enumerate(keys):
        for name, value in rows[key].items():
            if name == LAST_EVENT:
                frame.loc[i, name] = value
            elif name.startswith("_"):  # engagements behind a rate (author ones: see `_derive`)
                if name in engaged:
                    engaged[name][i] += value
            else:
                frame.loc[i, name] = max(frame.loc[i, name] + value, 0.0)
    for name, rate, imp in _RATES.get(view, []):
        frame[rate] = smoothed_rate(engaged[name], frame[imp].to_numpy())
    _derive(view, frame, keys, rows, times)
    for j, name in enumerate(join_keys):
        frame.insert(j, name, np.array([key[j] for key in keys], dtype=np.int64))
    frame[TIMESTAMP] = pd.to_datetime([times[key] for key in keys], utc=True)
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
    values = frame[rate].to_numpy() * (frame[impressions].to_numpy() + PRIOR_STRENGTH) - PRIOR_RATE * PRIOR_STRENGTH
    return np.round(np.asarray(values, dtype=np.float64), 6)


def _derive(
    view: str, frame: pd.DataFrame, keys: list[Key], rows: dict[Key, dict[str, float]], times: dict[Key, datetime]
) -> None:
    if view == "user_author":
        frame["ua_follows"] = frame["ua_follows"].clip(0, 1)
        frame["ua_followed_by"] = frame["ua_followed_by"].clip(0, 1)
        frame["ua_mutual"] = frame["ua_follows"] * frame["ua_followed_by"]
        touched = np.array(["ua_interactions_28d" in rows[key] for key in keys], dtype=bool)
        now = np.array([times[key].timestamp() for key in keys])
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

    row: dict[str, Any] = {"post_id": int(post), TIMESTAMP: pd.Timestamp(at)}
    values = [
        at.timestamp(),
        media_type(payload.get("media_ids") or [], {}),
        float(payload.get("caption_length", 0)),
        float(len(payload.get("hashtags") or [])),
    ]
    row.update(zip(POST_CONTENT_FEATURES, values, strict=True))
    return row


def _utc(value: Any) -> datetime:
    moment: datetime = pd.Timestamp(value).to_pydatetime()
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

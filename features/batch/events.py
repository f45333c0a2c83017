"""Read the outbox into pandas: one row per event, times as int64 epoch milliseconds."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import bindparam, text
from sqlalchemy.engine import Connection, Engine

from features.schema import MEDIA_TYPES

COUNTED_TYPES = (
    "user_created",
    "follow",
    "unfollow",
    "post_created",
    "like",
    "unlike",
    "save",
    "unsave",
    "comment",
    "share",
    "hide",
    "impression",
)


@dataclass
class Events:
    frame: pd.DataFrame  # id, type (category), actor_id, post_id, target_id (-1 = none), ts_ms
    posts: pd.DataFrame  # post_id, author_id, ts_ms, caption_length, hashtag_count, media_type

    def of(self, *types: str) -> pd.DataFrame:
        return self.frame[self.frame["type"].isin(types)]

    def until(self, until_ms: int) -> Events:
        return Events(self.frame[self.frame["ts_ms"] <= until_ms], self.posts[self.posts["ts_ms"] <= until_ms])


def to_ms(values: Any) -> np.ndarray:
    """Datetimes (ISO strings from SQLite, naive-UTC or aware datetimes) → int64 epoch milliseconds."""
    if len(values) == 0:
        return np.zeros(0, np.int64)
    stamps = pd.to_datetime(pd.Series(values), format="ISO8601", utc=True)
    return np.asarray((stamps.astype("int64") // 10**6).to_numpy(), dtype=np.int64)


def ms_of(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def load_events(engine: Engine, *, until: datetime | None = None, types: Sequence[str] = COUNTED_TYPES) -> Events:
    """Every event of `types` (all counted types by default), up to `until` inclusive when given."""
    query = text("SELECT id, type, actor_id, post_id, target_id, created_at FROM events WHERE type IN :types")
    query = query.bindparams(bindparam("types", expanding=True))
    with engine.connect() as conn:
        frame = events_frame(conn.execute(query, {"types": list(types)}).all())
        posts = _posts(conn) if "post_created" in types else _posts_frame([], {})
    events = Events(frame.sort_values("id", kind="stable", ignore_index=True), posts)
    return events.until(ms_of(until)) if until else events


def events_frame(rows: Sequence[Any]) -> pd.DataFrame:
    """Rows of (id, type, actor_id, post_id, target_id, created_at) → the events frame."""
    ids, kinds, actors, posts, targets, created = zip(*rows, strict=True) if rows else ([],) * 6
    return pd.DataFrame(
        {
            "id": np.asarray(ids, dtype=np.int64),
            "type": pd.Categorical(kinds),
            "actor_id": _ids(actors),
            "post_id": _ids(posts),
            "target_id": _ids(targets),
            "ts_ms": to_ms(list(created)),
        }
    )


def _ids(values: Sequence[Any]) -> np.ndarray:
    return np.asarray(pd.array(list(values), dtype="Int64").fillna(-1).to_numpy(np.int64), dtype=np.int64)


def _posts(conn: Connection) -> pd.DataFrame:
    rows = conn.execute(
        text("SELECT post_id, actor_id, created_at, payload FROM events WHERE type = 'post_created'")
    ).all()
    kinds = {int(k): v for k, v in conn.execute(text("SELECT id, kind FROM media")).all()}
    return _posts_frame(rows, kinds)


def _posts_frame(rows: Sequence[Any], kinds: dict[int, str]) -> pd.DataFrame:
    payloads = [p if isinstance(p, dict) else json.loads(p or "{}") for p in (row[3] for row in rows)]
    return pd.DataFrame(
        {
            "post_id": np.asarray([row[0] for row in rows], dtype=np.int64),
            "author_id": np.asarray([row[1] for row in rows], dtype=np.int64),
            "ts_ms": to_ms([row[2] for row in rows]),
            "caption_length": np.asarray([float(p.get("caption_length", 0)) for p in payloads]),
            "hashtag_count": np.asarray([float(len(p.get("hashtags") or [])) for p in payloads]),
            "media_type": np.asarray([media_type(p.get("media_ids") or [], kinds) for p in payloads], dtype=float),
        }
    )


def media_type(media_ids: list[int], kinds: dict[int, str]) -> float:
    if not media_ids:
        return MEDIA_TYPES["none"]
    if len(media_ids) > 1:
        return MEDIA_TYPES["carousel"]
    return MEDIA_TYPES["video"] if kinds.get(int(media_ids[0])) == "video" else MEDIA_TYPES["image"]

"""What the training set leaves out of an impression: its request, its position and how long it was seen.

These live in the impression event's JSON payload (`request_id`, `position`, `dwell_ms`, written by
the serving log and by the simulator); the feature pipelines read only the event's columns.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from social_core.models.outbox import Event

CONTEXT = ("request_id", "position", "dwell_ms")


def impression_context(engine: Engine, impression_ids: Sequence[int] | np.ndarray) -> pd.DataFrame:
    """impression_id + CONTEXT columns (None where the payload lacks them) for the given impression events."""
    ids = np.asarray(impression_ids, dtype=np.int64)
    if len(ids) == 0:
        return pd.DataFrame({"impression_id": ids, **{key: pd.Series(dtype=object) for key in CONTEXT}})
    query = select(Event.id, Event.payload).where(
        Event.type == "impression", Event.id >= int(ids.min()), Event.id <= int(ids.max())
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(
        {
            "impression_id": np.array([row[0] for row in rows], dtype=np.int64),
            **{key: [(row[1] or {}).get(key) for row in rows] for key in CONTEXT},
        }
    )
    return frame[frame["impression_id"].isin(ids)].reset_index(drop=True)


def with_context(training_set: pd.DataFrame, context: pd.DataFrame) -> pd.DataFrame:
    """The training set with each impression's request id, position and dwell (left join on impression_id)."""
    return training_set.merge(context, on="impression_id", how="left")

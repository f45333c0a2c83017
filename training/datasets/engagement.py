"""Two-tower training data from the database: engagement examples and the posts' content.

Positives are likes, comments and saves (optionally impressions); each example carries the user's
earlier positives as history. `time_split` cuts them at a global time: train before, test after, and
the last `validation_fraction` of train (by time) for early stopping.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from candidates.sources.engagement import at, engagements
from candidates.two_tower.embed import post_table
from candidates.two_tower.inputs import PostTable
from candidates.two_tower.posts import created_ts, post_rows
from candidates.two_tower.trainer import Examples, sequence_histories
from social_core.models import Event


@dataclass
class EngagementData:
    table: PostTable  # every live post, row-aligned with `post_created`
    post_created: np.ndarray  # float64 epoch seconds
    examples: Examples  # sorted by (user, time)


def load_posts(
    engine: Engine, max_tokens: int = 16, n_stats: int = 0, image: tuple[str, int] = ("", 0)
) -> tuple[PostTable, np.ndarray]:
    """Every live post; ``image`` names the encoder version and dimension of the picture embeddings to read."""
    with engine.connect() as conn:
        rows = post_rows(conn, None, image[0])
    return post_table(rows, max_tokens, n_stats, image[1]), np.array(created_ts(rows), dtype=np.float64)


def load_engagement(
    engine: Engine,
    history: int,
    include_impressions: bool = False,
    max_tokens: int = 16,
    n_stats: int = 0,
    image: tuple[str, int] = ("", 0),
) -> EngagementData:
    table, created = load_posts(engine, max_tokens, n_stats, image)
    statement = engagements(at(0), at(4e9)).subquery()
    with engine.connect() as conn:
        rows = list(conn.execute(select(statement.c.user_id, statement.c.post_id, statement.c.created_at)).all())
        if include_impressions:
            rows += conn.execute(
                select(Event.actor_id, Event.post_id, Event.created_at).where(Event.type == "impression")
            ).all()
    frame = pd.DataFrame(rows, columns=["user_id", "post_id", "at"])
    frame["ts"] = [t.timestamp() for t in frame["at"]] if len(frame) else []
    frame = frame.sort_values("ts", kind="stable").drop_duplicates(["user_id", "post_id"])
    frame = frame[frame["post_id"].isin(table.post_ids)].sort_values(["user_id", "ts", "post_id"], kind="stable")
    users, posts = frame["user_id"].to_numpy(np.int64), frame["post_id"].to_numpy(np.int64)
    rows_of = np.searchsorted(table.post_ids, posts)
    examples = Examples(users, sequence_histories(users, posts, history), rows_of, frame["ts"].to_numpy(np.float64))
    return EngagementData(table, created, examples)


def time_split(examples: Examples, test_fraction: float, validation_fraction: float) -> tuple[Examples, ...]:
    """(train, validation, test) by global time quantiles of the examples."""
    stamps = examples.timestamps
    test_at = np.quantile(stamps, 1 - test_fraction)
    validation_at = np.quantile(stamps[stamps < test_at], 1 - validation_fraction)
    train = stamps < validation_at
    validation = (stamps >= validation_at) & (stamps < test_at)
    return examples.subset(train), examples.subset(validation), examples.subset(stamps >= test_at)


def recall_curve(
    user_vectors: np.ndarray, post_vectors: np.ndarray, targets: np.ndarray, ks: Sequence[int]
) -> dict[int, float]:
    """Recall@k of target post rows among all posts, for each k (one example per row)."""
    top = max(ks)
    hits_at = np.full(len(targets), np.iinfo(np.int64).max)
    for start in range(0, len(targets), 1024):
        scores = user_vectors[start : start + 1024] @ post_vectors.T
        best = np.argpartition(-scores, min(top, scores.shape[1] - 1), axis=1)[:, :top]
        order = np.take_along_axis(best, np.argsort(-np.take_along_axis(scores, best, 1), axis=1), 1)
        found = order == targets[start : start + 1024, None]
        hits_at[start : start + 1024] = np.where(found.any(axis=1), found.argmax(axis=1), hits_at[start : start + 1024])
    return {k: float(np.mean(hits_at < k)) if len(targets) else 0.0 for k in ks}

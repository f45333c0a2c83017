"""Explored feed requests as the outbox holds them: the pool, the draw, its propensities, what was viewed and done.

An explored ranking's first impression carries the whole draw (`ranking.selectors.exploration.Explored`:
the pool of ranked items with their feature rows, the slate, and every pool item's probability of
each slot); every impression of the request carries its request id and position. A slot without an
impression was served but not scrolled to: its reward is 0. Rewards are the impression's labels as
the training set defines them (`features.training_set.label_impressions`: the same user's action on
the post within the label window).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.engine import Engine

from features.batch.events import load_events
from features.training_set import LABELS, TrainingSetConfig, label_impressions
from ranking.selectors.exploration import Explored
from social_core.models.outbox import Event


@dataclass(frozen=True)
class ExploredLogs:
    """n explored requests, pools padded to M items and slates of K slots (-1 / NaN: no item)."""

    request_ids: tuple[str, ...]
    user_ids: np.ndarray  # (n,)
    pool: np.ndarray  # (n, M) post ids in the ranking's order
    authors: np.ndarray  # (n, M) their authors
    features: np.ndarray  # (n, M, F) the pool's rows as scored
    marginals: np.ndarray  # (n, K, K) P(the item shown at slot s lands at slot k) under the draw
    shown: np.ndarray  # (n, K) pool index served at each slot
    labels: Mapping[str, np.ndarray]  # head → (n, K) 0/1 of the shown item (0 where not viewed)
    viewed: np.ndarray  # (n, K) bool
    feature_columns: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.request_ids)

    @property
    def slots(self) -> int:
        return int(self.shown.shape[1])

    @property
    def propensity(self) -> np.ndarray:
        """(n, K) the logged probability of the shown item at its slot (1 where no item: never weighed)."""
        picked = np.diagonal(self.marginals, axis1=1, axis2=2)
        return np.where(self.shown >= 0, picked, 1.0)

    def reward(self, weights: Mapping[str, float]) -> np.ndarray:
        """(n, K) Σ_h weight_h · label_h of each slot (heads without a weight count 0)."""
        total = np.zeros(self.shown.shape)
        for head, weight in weights.items():
            if head in self.labels:
                total += weight * self.labels[head]
        return total


def load_explored(
    engine: Engine,
    columns: Sequence[str],
    *,
    impression_ids: np.ndarray | None = None,
    labels: TrainingSetConfig | None = None,
) -> ExploredLogs:
    """Every explored request logged under these feature columns (those of `impression_ids` only, if given:
    a request counts when its first impression is among them)."""
    events = load_events(engine, types=("impression", *LABELS.values())).frame
    labelled = label_impressions(events, labels or TrainingSetConfig()).set_index("impression_id")
    wanted = None if impression_ids is None else set(np.asarray(impression_ids).tolist())
    payloads = _explored_payloads(engine, wanted)
    draws = {p["request_id"]: (i, p) for i, p in payloads.items() if "exploration" in p and p.get("request_id")}
    requests: list[tuple[str, int, Explored, dict[int, int]]] = []
    for request_id, (first, payload) in draws.items():
        explored = Explored.from_payload(payload["exploration"], tuple(columns))
        if explored is not None and first in labelled.index:
            requests.append((request_id, first, explored, {}))
    slots_of = {request_id: slots for request_id, _, _, slots in requests}
    for impression_id, payload in payloads.items():
        slots = slots_of.get(payload.get("request_id", ""))
        position = payload.get("position")
        if slots is not None and isinstance(position, int) and impression_id in labelled.index:
            slots[position] = impression_id
    return _arrays(requests, labelled, tuple(columns))


def _explored_payloads(engine: Engine, wanted: set[int] | None) -> dict[int, dict[str, Any]]:
    """Explored impressions by id; a request's first (the one with the draw) only when among `wanted`."""
    query = select(Event.id, Event.payload).where(Event.type == "impression")
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    out = {int(i): p for i, p in rows if isinstance(p, dict) and p.get("explored")}
    if wanted is not None:
        out = {i: p for i, p in out.items() if "exploration" not in p or i in wanted}
    return out


def _arrays(
    requests: list[tuple[str, int, Explored, dict[int, int]]], labelled: pd.DataFrame, columns: tuple[str, ...]
) -> ExploredLogs:
    n = len(requests)
    m = max((len(e.post_ids) for _, _, e, _ in requests), default=0)
    k = max((len(e.shown) for _, _, e, _ in requests), default=0)
    pool = np.full((n, m), -1, dtype=np.int64)
    authors = np.full((n, m), -1, dtype=np.int64)
    features = np.full((n, m, len(columns)), np.nan)
    marginals = np.zeros((n, k, k))
    shown = np.full((n, k), -1, dtype=np.int64)
    viewed = np.zeros((n, k), dtype=bool)
    heads = {column: head for column, head in LABELS.items()}
    label_arrays = {head: np.zeros((n, k), dtype=np.int8) for head in heads.values()}
    users = np.zeros(n, dtype=np.int64)
    for i, (_, first, explored, slots) in enumerate(requests):
        size, drawn = len(explored.post_ids), len(explored.shown)
        pool[i, :size], authors[i, :size], features[i, :size] = (
            explored.post_ids,
            explored.author_ids,
            explored.features,
        )
        marginals[i, :drawn, :drawn], shown[i, :drawn] = explored.marginals, explored.shown
        users[i] = int(labelled.at[first, "user_id"])
        for position, impression_id in slots.items():
            if position < drawn:
                viewed[i, position] = True
                for column, head in heads.items():
                    label_arrays[head][i, position] = int(labelled.at[impression_id, column])
    return ExploredLogs(
        tuple(r for r, _, _, _ in requests),
        users,
        pool,
        authors,
        features,
        marginals,
        shown,
        label_arrays,
        viewed,
        columns,
    )

"""Training set → the ranker's matrices: features, one 0/1 label per head, a graded relevance, request groups.

Rows are grouped by the request that served them (the impression's `request_id`, else the user's
session: impressions less than `session_gap_s` apart), ordered by logged position, and split by time
*per request*: a request is wholly in train, validation or test, and every test request comes after
every training one, as the model will meet them.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from features.training_set import LABELS
from ranking.model import HEADS


class RankerDataError(ValueError):
    """Too little data to train a ranker (say so plainly instead of failing deep in a library)."""


@dataclass(frozen=True)
class LabelConfig:
    """Graded relevance for ranking metrics and LambdaRank: the best thing that followed; a hide is 0."""

    long_dwell_ms: int = 8_000
    long_dwell: int = 1
    like: int = 2
    comment: int = 3
    save: int = 3
    share: int = 4
    session_gap_s: float = 1_800.0  # grouping of impressions that carry no request id


@dataclass(frozen=True)
class SplitConfig:
    validation_fraction: float = 0.15  # of requests, for early stopping
    test_fraction: float = 0.15  # of requests, the holdout every metric is measured on


@dataclass
class RankerSplit:
    features: np.ndarray  # (N, F) float64
    labels: dict[str, np.ndarray]  # every head of HEADS → (N,) 0/1 int8
    relevance: np.ndarray  # (N,) graded, int32
    groups: np.ndarray  # (N,) request index; each request's rows are contiguous
    positions: np.ndarray  # (N,) logged position in its request (-1: unknown)
    impression_ids: np.ndarray  # (N,) the outbox ids of the impressions

    def __len__(self) -> int:
        return len(self.relevance)

    @property
    def group_sizes(self) -> np.ndarray:
        """Rows per request, in row order (LightGBM's `group`)."""
        if len(self) == 0:
            return np.zeros(0, np.int64)
        starts = np.flatnonzero(np.r_[True, self.groups[1:] != self.groups[:-1]])
        return np.diff(np.r_[starts, len(self)])

    @property
    def fingerprint(self) -> str:
        """Which impressions these are (a hash of their ids): two runs compare only on the same holdout."""
        return hashlib.sha256(np.sort(self.impression_ids).astype("<i8").tobytes()).hexdigest()[:16]

    def rows(self, mask: np.ndarray) -> RankerSplit:
        return RankerSplit(
            self.features[mask],
            {head: values[mask] for head, values in self.labels.items()},
            self.relevance[mask],
            self.groups[mask],
            self.positions[mask],
            self.impression_ids[mask],
        )


@dataclass
class RankerData:
    feature_names: tuple[str, ...]
    train: RankerSplit
    validation: RankerSplit
    test: RankerSplit

    def sizes(self) -> dict[str, int]:
        return {"train_rows": len(self.train), "validation_rows": len(self.validation), "test_rows": len(self.test)}


def relevance(frame: pd.DataFrame, config: LabelConfig) -> np.ndarray:
    """The graded label: max over what followed (long dwell, like, comment, save, share); 0 when hidden."""
    dwell = frame["dwell_ms"].to_numpy(dtype=np.float64) if "dwell_ms" in frame else np.zeros(len(frame))
    grades = [np.where(np.nan_to_num(dwell) >= config.long_dwell_ms, config.long_dwell, 0)]
    for column, head in LABELS.items():
        if head != "hide":
            grades.append(frame[column].to_numpy() * getattr(config, head))
    best = np.max(np.stack(grades), axis=0)
    return np.where(frame["hid"].to_numpy() > 0, 0, best).astype(np.int32)


def request_keys(frame: pd.DataFrame, gap_s: float) -> pd.Series:
    """The impression's request id, else `user:session` where a session breaks after `gap_s` of silence."""
    ordered = frame.sort_values(["user_id", "impression_ts"])
    gaps = ordered.groupby("user_id")["impression_ts"].diff().fillna(np.inf) > gap_s * 1000
    session = gaps.astype(np.int64).groupby(ordered["user_id"]).cumsum()
    fallback = ordered["user_id"].astype(str) + ":" + session.astype(str)
    fallback = fallback.reindex(frame.index)
    requested = frame["request_id"] if "request_id" in frame else pd.Series(None, index=frame.index, dtype=object)
    return requested.where(requested.notna(), fallback).astype(str)


def ranker_data(
    frame: pd.DataFrame, columns: list[str], labels: LabelConfig = LabelConfig(), split: SplitConfig = SplitConfig()
) -> RankerData:
    """Labelled, feature-joined impressions (+ request_id, position, dwell_ms where known) → split matrices."""
    frame = frame.reset_index(drop=True).copy()
    frame["request"] = request_keys(frame, labels.session_gap_s)
    if "position" not in frame:
        frame["position"] = np.nan
    frame["position"] = pd.to_numeric(frame["position"], errors="coerce").fillna(-1).astype(np.int64)
    frame["request_start"] = frame.groupby("request")["impression_ts"].transform("min")
    frame = frame.sort_values(["request_start", "request", "position", "impression_ts"], ignore_index=True)
    codes = pd.factorize(frame["request"])[0]
    n_requests = int(codes.max()) + 1 if len(codes) else 0
    if n_requests < 3:
        raise RankerDataError(f"{len(frame)} impressions in {n_requests} requests: too few to train a ranker on")
    train_end = round(n_requests * (1 - split.validation_fraction - split.test_fraction))
    valid_end = round(n_requests * (1 - split.test_fraction))
    train_end, valid_end = max(1, min(train_end, n_requests - 2)), max(train_end + 1, min(valid_end, n_requests - 1))
    every = RankerSplit(
        frame[columns].to_numpy(dtype=np.float64),
        {head: frame[column].to_numpy(dtype=np.int8) for column, head in LABELS.items() if head in HEADS},
        relevance(frame, labels),
        codes.astype(np.int64),
        frame["position"].to_numpy(),
        frame["impression_id"].to_numpy(dtype=np.int64),
    )
    return RankerData(
        tuple(columns),
        every.rows(codes < train_end),
        every.rows((codes >= train_end) & (codes < valid_end)),
        every.rows(codes >= valid_end),
    )


def trainable_heads(train: RankerSplit, min_positives: int) -> tuple[str, ...]:
    """The heads with at least `min_positives` positive training rows (a head learns nothing from fewer)."""
    heads = tuple(head for head in HEADS if int(train.labels[head].sum()) >= min_positives)
    if not heads:
        counts = {head: int(values.sum()) for head, values in train.labels.items()}
        raise RankerDataError(f"no objective has {min_positives} positive training rows: {counts}")
    return heads

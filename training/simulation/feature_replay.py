"""Features as of the simulated clock: the batch parquet files read point in time, behind the real `Hydrator`.

A simulation plays sessions at past times, so the online store (materialized up to the newest event)
would show a session the counters of its future. `AsOfReader` is an `OnlineReader` over the batch
views instead: for each key, the latest row at or before `at` (what the online store held then, and
what the ranker's point-in-time training set joined). The `Hydrator` on top assembles the matrix
exactly as serving does (column order, on-demand features, defaults), with its caches off.

Known limit: the parquet holds what was in the outbox when the features were built; events of the
simulation run itself (its own likes) are not folded in (production's stream push would do that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from features.hydrate import Hydrator, HydratorConfig
from features.online_cells import ReadRequest
from features.online_keys import KeyCodec
from features.repo.views import TIMESTAMP, parquet_path
from features.schema import VIEWS
from training.simulation.errors import SimulationError


@dataclass
class _View:
    """One view's rows sorted by key then time; `spans[key] = (first row, end)`."""

    spans: dict[tuple[int, ...], tuple[int, int]]
    ts_ms: np.ndarray
    values: np.ndarray  # (rows × features)
    column: dict[str, int]


class AsOfReader:
    key_suffix = b""

    def __init__(self, data_dir: Path) -> None:
        missing = [view for view in VIEWS if not parquet_path(data_dir, view).is_file()]
        if missing:
            raise SimulationError(f"no batch features in {data_dir}: run `pixelrank features build` first")
        self.at = 0.0  # epoch seconds: rows after it are not visible
        self.views = {view: _load(parquet_path(data_dir, view), *VIEWS[view]) for view in VIEWS}
        self.codecs = {view: KeyCodec(VIEWS[view][0]) for view in VIEWS}

    def read_many(self, requests: Sequence[ReadRequest]) -> list[np.ndarray]:
        return [self._read(request) for request in requests]

    def _read(self, request: ReadRequest) -> np.ndarray:
        out = np.full((len(request.keys), len(request.fields)), np.nan)
        if not len(request.keys) or not request.fields:
            return out
        first_view = request.fields[0][0]
        keys = self._decode(first_view, request.keys)
        at_ms = self.at * 1000.0
        for view in dict.fromkeys(view for view, _ in request.fields):
            table = self.views[view]
            cols = [j for j, (v, _) in enumerate(request.fields) if v == view]
            sources = [table.column[request.fields[j][1]] for j in cols]
            for i, key in enumerate(keys):
                span = table.spans.get(key)
                if span is None:
                    continue
                start, end = span
                row = start + int(np.searchsorted(table.ts_ms[start:end], at_ms, side="right")) - 1
                if row >= start:
                    out[i, cols] = table.values[row, sources]
        return out

    def _decode(self, view: str, keys: np.ndarray) -> list[tuple[int, ...]]:
        offsets = self.codecs[view].offsets
        columns = [np.ascontiguousarray(keys[:, o : o + 8]).view("<i8")[:, 0] for o in offsets]
        return list(zip(*(c.tolist() for c in columns), strict=True))


def _load(path: Path, join_keys: tuple[str, ...], features: list[str]) -> _View:
    frame = pd.read_parquet(path, columns=[*join_keys, TIMESTAMP, *features])
    frame = frame.sort_values([*join_keys, TIMESTAMP], kind="stable", ignore_index=True)
    ts_ms = frame[TIMESTAMP].to_numpy(dtype="datetime64[ms]").astype(np.int64).astype(np.float64)
    key_matrix = frame[list(join_keys)].to_numpy(dtype=np.int64)
    spans: dict[tuple[int, ...], tuple[int, int]] = {}
    if len(frame):
        change = np.flatnonzero(np.any(key_matrix[1:] != key_matrix[:-1], axis=1)) + 1
        starts = np.concatenate(([0], change))
        ends = np.concatenate((change, [len(frame)]))
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            spans[tuple(key_matrix[start].tolist())] = (start, end)
    values = frame[features].to_numpy(dtype=np.float64)
    return _View(spans, ts_ms, values, {name: j for j, name in enumerate(features)})


class AsOfFeatures:
    """A `ranking.hydrators.features.FeatureReader` for one feature service, as of `reader.at`."""

    def __init__(self, reader: AsOfReader, service: str = "ranker_v1") -> None:
        self.reader = reader
        self.hydrator = Hydrator(reader, HydratorConfig(service=service, cache_ttl_s=0.0))
        self.columns = self.hydrator.columns

    def __call__(
        self, user_id: int, post_ids: Sequence[int], author_ids: Sequence[int], request_ts: float | None = None
    ) -> np.ndarray:
        return self.hydrator(user_id, post_ids, author_ids, self.reader.at if request_ts is None else request_ts)

"""`build_features`: outbox → the five views' aggregates → one parquet file each (Feast's offline sources)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd
from sqlalchemy.engine import Engine

from features.batch import aggregates
from features.batch.aggregates import AggregateConfig
from features.batch.events import Events, load_events, ms_of
from features.batch.watermark import last_event_ids
from features.repo.views import TIMESTAMP, parquet_path
from features.schema import LAST_EVENT, STREAMED_VIEWS

Progress = Callable[[str, int, int], None]


def no_progress(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class BatchConfig:
    data_dir: Path
    as_of: datetime | None = None  # default: the newest event's time
    aggregates: AggregateConfig = field(default_factory=AggregateConfig)


@dataclass
class BuildReport:
    events: int
    rows: dict[str, int]
    as_of: datetime | None
    load_seconds: float
    compute_seconds: float

    @property
    def seconds(self) -> float:
        return self.load_seconds + self.compute_seconds

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


def compute_views(
    events: Events, until_ms: int, config: AggregateConfig, progress: Progress = no_progress
) -> dict[str, pd.DataFrame]:
    steps: dict[str, Callable[[], pd.DataFrame]] = {
        "user_engagement": lambda: aggregates.user_engagement(events, until_ms),
        "post_content": lambda: aggregates.post_content(events, until_ms),
        "post_stats": lambda: aggregates.post_stats(events, until_ms),
        "author_stats": lambda: aggregates.author_stats(events, until_ms, config),
        "user_author": lambda: aggregates.user_author(events, until_ms),
    }
    views = {}
    for i, (name, step) in enumerate(steps.items()):
        views[name] = step()
        progress(name, i + 1, len(steps))
    return views


def build_features(engine: Engine, config: BatchConfig, progress: Progress = no_progress) -> BuildReport:
    """Recompute every view from the whole outbox and (over)write its parquet file."""
    started = time.perf_counter()
    events = load_events(engine, until=config.as_of)
    loaded = time.perf_counter()
    progress("events", 1, 1)
    until_ms = ms_of(config.as_of) if config.as_of else int(events.frame["ts_ms"].max()) if len(events.frame) else 0
    views = compute_views(events, until_ms, config.aggregates, progress)
    for name in STREAMED_VIEWS:
        views[name][LAST_EVENT] = last_event_ids(events.frame, views[name][TIMESTAMP])
    config.data_dir.mkdir(parents=True, exist_ok=True)
    for name, frame in views.items():
        frame.to_parquet(parquet_path(config.data_dir, name), index=False)
    as_of = pd.Timestamp(until_ms, unit="ms", tz="UTC").to_pydatetime() if until_ms else None
    report = BuildReport(len(events.frame), {k: len(v) for k, v in views.items()}, as_of, loaded - started, 0.0)
    report.compute_seconds = time.perf_counter() - loaded
    return report

"""Prometheus metrics of the API: one `Metrics` per app, exposed at `GET /metrics`.

What is measured: request latency per route template (never the raw path: ids would explode the
series), and what each ranked page cost and how it was served (per-stage latency, candidates per
source, items removed per filter, fallbacks taken, feed-cache hits, the ranker version in use).

Several worker processes (`pixelrank serve --workers N`) each keep their own counters. To expose
their sum, point both `PIXELRANK_METRICS_DIR` and `PROMETHEUS_MULTIPROC_DIR` at one empty, writable
folder before the server starts (empty it again between runs): prometheus_client then writes every
worker's values to files there, and `/metrics` aggregates them. Without `PIXELRANK_METRICS_DIR` each
process exposes its own registry (right for one worker).

Why a pixelrank variable and not just PROMETHEUS_MULTIPROC_DIR: importing Feast sets
PROMETHEUS_MULTIPROC_DIR to a temporary folder of its own when it is unset, so its presence does not
say that an operator asked for multiprocess metrics.
"""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess, values

from ranking.result import PipelineResult

# Pipeline stages run in micro- to milliseconds; requests in milliseconds to seconds.
STAGE_BUCKETS = (0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
# Fine around the latency targets (5 ms cached page, 50 ms ranked page), so percentiles read from the
# buckets are close to the true ones.
REQUEST_BUCKETS: tuple[float, ...] = (0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.075)
REQUEST_BUCKETS += (0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Every metric the app records, in a registry of its own (so several apps can live in one process)."""

    def __init__(self, multiproc_dir: Path | None = None) -> None:
        if multiproc_dir is not None:
            _check_multiprocess(multiproc_dir)
        else:
            # Importing Feast sets PROMETHEUS_MULTIPROC_DIR (for a metrics server of its own that we do
            # not run), which would put every metric of this process in shared files: one process's
            # apps would then count into each other. Serving decides the mode: in-process here.
            values.ValueClass = values.MutexValue
        self.multiproc_dir = multiproc_dir
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Histogram(
            "pixelrank_http_request_duration_seconds",
            "Time to answer an HTTP request, by route template, method and status class.",
            ["route", "method", "status"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.stage_seconds = Histogram(
            "pixelrank_pipeline_stage_seconds",
            "Time spent in one ranking pipeline stage (kind:name).",
            ["pipeline", "stage"],
            buckets=STAGE_BUCKETS,
            registry=r,
        )
        self.candidates = Counter(
            "pixelrank_candidates", "Candidates a source proposed.", ["pipeline", "source"], registry=r
        )
        self.filter_removed = Counter(
            "pixelrank_filter_removed", "Candidates a filter removed.", ["pipeline", "filter"], registry=r
        )
        self.fallbacks = Counter("pixelrank_fallbacks", "Fallbacks taken while serving, by kind.", ["kind"], registry=r)
        self.feed_cache = Counter(
            "pixelrank_feed_cache", "Feed page cache lookups (hit or miss).", ["result"], registry=r
        )
        self.impressions_dropped = Counter(
            "pixelrank_impressions_dropped", "Impressions not logged because the queue was full.", registry=r
        )
        self.model_info = Gauge(
            "pixelrank_model_info",
            "1 for the model version serving each role, 0 for versions it served before.",
            ["role", "version"],
            registry=r,
            multiprocess_mode="livemax",
        )
        self._model_versions: dict[str, str] = {}

    def observe_pipeline(self, result: PipelineResult) -> None:
        """Record one pipeline run: stage latencies, candidates per source, removals, fallbacks, ranker version."""
        served_by = result.served_by
        pipeline = served_by.pipeline
        for stage in result.stages:
            self.stage_seconds.labels(pipeline, f"{stage.kind}:{stage.name}").observe(stage.seconds)
        for source, count in result.candidates_per_source().items():
            self.candidates.labels(pipeline, source).inc(count)
        for name, removed in result.removed_per_filter().items():
            self.filter_removed.labels(pipeline, name).inc(removed)
        for reason in served_by.degraded_reasons:
            self.fallbacks.labels(reason.kind).inc()
        self.set_model(f"{pipeline}_ranker", served_by.model_version)

    def observe_cache(self, hit: bool) -> None:
        self.feed_cache.labels("hit" if hit else "miss").inc()

    def set_model(self, role: str, version: str) -> None:
        """Mark `version` as the one serving `role` (and the previous one as no longer)."""
        previous = self._model_versions.get(role)
        if previous == version:
            return
        if previous is not None:
            # 0, not removal: prometheus_client cannot remove series in multiprocess mode (and warns
            # whenever PROMETHEUS_MULTIPROC_DIR is set); query `pixelrank_model_info == 1`.
            self.model_info.labels(role, previous).set(0)
        self.model_info.labels(role, version).set(1)
        self._model_versions[role] = version

    def exposition(self) -> bytes:
        """The text exposition of every metric (summed over the workers in multiprocess mode)."""
        if self.multiproc_dir is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=str(self.multiproc_dir))  # type: ignore[no-untyped-call]
        return generate_latest(registry)

    def close(self) -> None:
        """This worker is going away: drop its live gauges from the aggregate."""
        if self.multiproc_dir is not None:
            multiprocess.mark_process_dead(os.getpid(), str(self.multiproc_dir))  # type: ignore[no-untyped-call]


def _check_multiprocess(folder: Path) -> None:
    """prometheus_client picks its storage once, at import, from PROMETHEUS_MULTIPROC_DIR: it must match."""
    configured = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if values.ValueClass is values.MutexValue or configured is None or Path(configured).resolve() != folder.resolve():
        raise ValueError(
            f"multiprocess metrics in {folder} need PROMETHEUS_MULTIPROC_DIR={folder} in the environment "
            "before the server starts"
        )
    if not folder.is_dir():
        raise ValueError(f"metrics folder {folder} does not exist")

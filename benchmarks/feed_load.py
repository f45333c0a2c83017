"""The load of benchmarks/feed.py: an asyncio + httpx client with bounded concurrency, and /metrics deltas.

Client side, every request's wall time is kept (exact percentiles). Server side, the API's own
Prometheus histograms are scraped before and after each phase and subtracted: request latency per
route, per pipeline stage, candidates per source. Percentiles from histogram buckets are estimated
as Prometheus' `histogram_quantile` does (linear within the bucket), so they are only as fine as the
buckets (requests: 5, 10, 25, 50, 100 ms, ...; stages: 0.2, 0.5, 1, 2.5, 5, 10, 25, 50 ms, ...).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import numpy as np
from prometheus_client.parser import text_string_to_metric_families

REQUESTS = "pixelrank_http_request_duration_seconds"
STAGES = "pixelrank_pipeline_stage_seconds"
CANDIDATES = "pixelrank_candidates"

Key = tuple[str, tuple[tuple[str, str], ...]]  # metric name, sorted labels (without "le")


@dataclass
class Histogram:
    buckets: dict[float, float] = field(default_factory=dict)  # upper bound -> cumulative count
    total: float = 0.0
    count: float = 0.0

    def minus(self, other: Histogram | None) -> Histogram:
        if other is None:
            return self
        buckets = {le: n - other.buckets.get(le, 0.0) for le, n in self.buckets.items()}
        return Histogram(buckets, self.total - other.total, self.count - other.count)

    def quantile(self, q: float) -> float:
        """Seconds, `histogram_quantile(q)`: linear within the bucket; the last finite bound past it."""
        if self.count <= 0:
            return math.nan
        rank, lower, below = q * self.count, 0.0, 0.0
        finite = [le for le in sorted(self.buckets) if math.isfinite(le)]
        for le in finite:
            if self.buckets[le] >= rank:
                inside = self.buckets[le] - below
                return lower + (le - lower) * ((rank - below) / inside if inside else 1.0)
            lower, below = le, self.buckets[le]
        return finite[-1] if finite else math.nan


@dataclass
class Scrape:
    histograms: dict[Key, Histogram]
    counters: dict[Key, float]

    def minus(self, before: Scrape) -> Scrape:
        return Scrape(
            {k: h.minus(before.histograms.get(k)) for k, h in self.histograms.items()},
            {k: v - before.counters.get(k, 0.0) for k, v in self.counters.items()},
        )

    def histogram(self, name: str, **labels: str) -> Histogram:
        """The sum of every series of `name` whose labels include `labels`."""
        out = Histogram()
        for (metric, series), h in self.histograms.items():
            if metric == name and labels.items() <= dict(series).items():
                for le, n in h.buckets.items():
                    out.buckets[le] = out.buckets.get(le, 0.0) + n
                out.total, out.count = out.total + h.total, out.count + h.count
        return out

    def by_label(self, name: str, label: str, **labels: str) -> dict[str, Histogram]:
        values = {dict(series)[label] for (metric, series) in self.histograms if metric == name}
        return {v: self.histogram(name, **labels, **{label: v}) for v in sorted(values)}

    def counter_sum(self, name: str, label: str, **labels: str) -> dict[str, float]:
        out: dict[str, float] = defaultdict(float)
        for (metric, series), value in self.counters.items():
            found = dict(series)
            if metric == name and labels.items() <= found.items():
                out[found[label]] += value
        return dict(out)


def parse_metrics(text: str) -> Scrape:
    histograms: dict[Key, Histogram] = defaultdict(Histogram)
    counters: dict[Key, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = {k: v for k, v in sample.labels.items() if k != "le"}
            key: Key = (family.name, tuple(sorted(labels.items())))
            if family.type == "histogram":
                if sample.name.endswith("_bucket"):
                    histograms[key].buckets[float(sample.labels["le"])] = sample.value
                elif sample.name.endswith("_sum"):
                    histograms[key].total = sample.value
                elif sample.name.endswith("_count"):
                    histograms[key].count = sample.value
            elif family.type == "counter" and sample.name.endswith("_total"):
                counters[key] = sample.value
    return Scrape(dict(histograms), counters)


@dataclass(frozen=True)
class CpuMeter:
    """CPU seconds used so far by the three programs that share the machine's cores under the load: the
    server (all its processes), the Redis server (its whole process: every database on it) and this
    client. Their sum per request bounds the throughput the cores allow, whatever the concurrency."""

    server: Callable[[], float]
    redis: Any  # a client of the Redis server behind the online store, the caches and the seen sets
    client: Callable[[], float] = time.process_time  # the load client (feed_wrk: this process and wrk)

    def read(self) -> dict[str, float]:
        info = self.redis.info("cpu")
        redis_seconds = float(info["used_cpu_user"]) + float(info["used_cpu_sys"])
        return {"server": self.server(), "redis": redis_seconds, "client": self.client()}


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request, by program, and their total."""
    used = {name: (after[name] - before[name]) * 1000 / max(requests, 1) for name in before}
    return used | {"total": sum(used.values())}


async def scrape(client: httpx.AsyncClient) -> Scrape:
    response = await client.get("/metrics")
    response.raise_for_status()
    return parse_metrics(response.text)


@dataclass(frozen=True)
class Call:
    token: str
    path: str  # "/v1/feed" or "/v1/explore"
    cursor: str | None = None


@dataclass
class Outcome:
    call: Call
    seconds: float
    status: int
    next_cursor: str | None
    items: int
    scorer: str
    degraded: tuple[str, ...]


@dataclass
class Load:
    outcomes: list[Outcome]
    wall_seconds: float
    concurrency: int

    @property
    def ok(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == 200]

    def client_ms(self, q: float) -> float:
        times = [o.seconds for o in self.ok]
        return float(np.percentile(times, q * 100) * 1000) if times else math.nan

    @property
    def throughput(self) -> float:
        return len(self.ok) / self.wall_seconds if self.wall_seconds else math.nan

    def degraded(self) -> dict[str, int]:
        reasons: dict[str, int] = defaultdict(int)
        for outcome in self.ok:
            for reason in outcome.degraded:
                reasons[reason] += 1
        return dict(reasons)


async def one(client: httpx.AsyncClient, call: Call, limit: int) -> Outcome:
    params: dict[str, Any] = {"limit": limit} | ({"cursor": call.cursor} if call.cursor else {})
    started = time.perf_counter()
    response = await client.get(call.path, params=params, headers={"Authorization": f"Bearer {call.token}"})
    seconds = time.perf_counter() - started
    if response.status_code != 200:
        return Outcome(call, seconds, response.status_code, None, 0, "", ())
    page = response.json()
    served = page["served_by"]
    degraded = tuple(served["degraded_reasons"])
    return Outcome(call, seconds, 200, page["next_cursor"], len(page["items"]), served["scorer"], degraded)


async def drive(client: httpx.AsyncClient, calls: list[Call], concurrency: int, limit: int) -> Load:
    """Every call once, at most `concurrency` in flight (a closed loop: each worker sends its next on reply)."""
    queue = list(reversed(calls))
    outcomes: list[Outcome] = []

    async def worker() -> None:
        while queue:
            outcomes.append(await one(client, queue.pop(), limit))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return Load(outcomes, time.perf_counter() - started, concurrency)

"""The load of benchmarks/feed.py, driven by wrk (benchmarks/feed.lua): a C client that costs a fraction of
a millisecond of CPU per request, where the Python httpx client of feed_load.py cost ~3 ms.

One phase is one wrk run for a fixed time at a fixed concurrency: `c` threads of one connection each (a
closed loop: each connection sends its next request on reply), every request a different user's bearer
token, the users cycled through from a file of (token, cursor) pairs. wrk's own latency histogram gives
the client percentiles; the page-1 responses' next cursors come back as the next page's pairs. The
CPU wrk used is read from the kernel once it has exited (`RUSAGE_CHILDREN`, exact).
"""

from __future__ import annotations

import json
import math
import os
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WRK = shutil.which("wrk") or "/usr/bin/wrk"
SCRIPT = Path(__file__).with_name("feed.lua")


def children_cpu_seconds() -> float:
    """CPU time of every child this process has waited for (here: the wrk runs, not the servers)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def client_cpu_seconds() -> float:
    """The load client's CPU: this process (scrapes, bookkeeping) and the wrk runs it waited for."""
    return time.process_time() + children_cpu_seconds()


@dataclass(frozen=True)
class Pairs:
    """(token, cursor) pairs, cursor "" for a first page."""

    rows: list[tuple[str, str]]

    def write(self, path: Path) -> Path:
        path.write_text("".join(f"{token}\t{cursor}\n" for token, cursor in self.rows))
        return path


@dataclass
class WrkLoad:
    """One wrk phase, with the attributes `benchmarks.feed.phase` reads of a `feed_load.Load`."""

    concurrency: int
    seconds: float  # wrk's own duration
    requests: int  # completed responses
    ok_count: int
    lightgbm: int
    degraded_count: int
    latency_us: dict[str, float]
    errors: dict[str, int]
    # In time order: (token, next cursor) of each 200 response that had one, and (token, "") for each
    # request sent (`latest_per_token`).
    cursors: list[tuple[str, str]]

    @property
    def wall_seconds(self) -> float:
        return self.seconds

    @property
    def throughput(self) -> float:
        return self.ok_count / self.seconds if self.seconds else math.nan

    def client_ms(self, q: float) -> float:
        value = self.latency_us.get(f"p{round(q * 100)}")
        return value / 1000 if value is not None else math.nan


def run_wrk(
    url: str,
    path: str,
    pairs: Pairs,
    concurrency: int,
    seconds: float,
    folder: Path,
    *,
    offset: int = 0,
    limit: int = 20,
) -> WrkLoad:
    """`wrk -t c -c c -d seconds` against `url + path`, the requests cycling through `pairs` from `offset`."""
    if not pairs.rows:
        raise ValueError("no (token, cursor) pairs to send")
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("cursors-*.tsv"):
        old.unlink()
    result = folder / "result.json"
    result.unlink(missing_ok=True)
    env = os.environ | {
        "PXW_PAIRS": str(pairs.write(folder / "pairs.tsv")),
        "PXW_PATH": path,
        "PXW_LIMIT": str(limit),
        "PXW_THREADS": str(concurrency),
        "PXW_OFFSET": str(offset),
        "PXW_OUT": str(folder),
        "PXW_RESULT": str(result),
    }
    command = [WRK, "-t", str(concurrency), "-c", str(concurrency), "-d", f"{seconds:.0f}s", "--timeout", "60s"]
    done = subprocess.run(
        [*command, "-s", str(SCRIPT), url], env=env, capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    if done.returncode != 0 or not result.exists():
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    data: dict[str, Any] = json.loads(result.read_text())
    stamped = []  # (monotonic time, token, cursor), from every thread's file
    for file in folder.glob("cursors-*.tsv"):
        for line in file.read_text().splitlines():
            token, cursor, at = line.split("\t")
            stamped.append((float(at), token, cursor))
    cursors = [(token, cursor) for _, token, cursor in sorted(stamped)]
    return WrkLoad(
        concurrency=concurrency,
        seconds=data["duration_us"] / 1e6,
        requests=int(data["requests"]),
        ok_count=int(data["ok"]),
        lightgbm=int(data["lightgbm"]),
        degraded_count=int(data["degraded"]),
        latency_us={k: float(v) for k, v in data["latency_us"].items()},
        errors={k: int(v) for k, v in data["errors"].items()},
        cursors=cursors,
    )


def latest_per_token(cursors: list[tuple[str, str]]) -> Pairs:
    """One pair per user, their last cursor (a user served twice has only the last list cached). A user
    whose last request was still in flight when wrk stopped is left out: the server finished it, and its
    list replaced the one that cursor names."""
    latest: dict[str, str] = {}
    for token, cursor in cursors:
        if cursor:
            latest[token] = cursor
        else:
            latest.pop(token, None)
    return Pairs(list(latest.items()))

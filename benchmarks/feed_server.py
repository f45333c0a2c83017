"""`pixelrank serve --workers 2` as a subprocess of benchmarks/feed.py, on a free loopback port.

The server runs with the world's environment plus: the path under test (fast: the fast feature reader and
compiled trees; stock: Feast's `get_online_features` and LightGBM's own predict),
multiprocess metrics in a fresh folder (so /metrics sums both workers), the outbox relay off (in
production it is its own `pixelrank worker` process; here it would compete for the same two cores
with the requests measured; impressions are still written to the outbox), and warning-level logs
(no access log line per request). It is stopped by its own process group id.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from benchmarks.feed_world import PIXELRANK


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def served(env: dict[str, str], reader: str, folder: Path, workers: int = 2) -> Iterator[str]:
    """The base URL of a ready server (GET /readyz answered 200), stopped on exit."""
    port, metrics = free_port(), folder / f"metrics-{reader}"
    env = env | {
        "PIXELRANK_FEATURE_READER": reader,
        "PIXELRANK_COMPILED_TREES": "true" if reader == "fast" else "false",  # the stock path: stock LightGBM too
        "PIXELRANK_METRICS_DIR": str(metrics),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "PIXELRANK_RELAY": "off",
        "PIXELRANK_LOG_LEVEL": "warning",
    }
    metrics.mkdir()  # before the server starts: importing Feast already writes multiprocess metric files
    log = (folder / f"server-{reader}.log").open("w")
    command = [PIXELRANK, "serve", "--workers", str(workers), "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(process, url, folder / f"server-{reader}.log")
        yield url
    finally:
        _stop(process)
        log.close()


def _wait_ready(process: subprocess.Popen[bytes], url: str, log: Path, timeout_s: float = 240.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the server was not ready after {timeout_s:.0f} s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)  # uvicorn's graceful shutdown of the master and its workers
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

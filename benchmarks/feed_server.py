"""`pixelrank serve --workers N` as subprocesses of benchmarks/feed.py, one per path, on free loopback ports.

Each server runs with the world's environment plus: the path under test (fast: the fast feature reader and
compiled trees; stock: Feast's `get_online_features` and LightGBM's own predict),
multiprocess metrics in a fresh folder (so /metrics sums the workers), the outbox relay off (in
production it is its own `pixelrank worker` process; here it would compete for the same two cores
with the requests measured; impressions are still written to the outbox), and warning-level logs
(no access log line per request). Each is stopped by its own process group id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

PIXELRANK = str(Path(sys.executable).with_name("pixelrank"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    url: str
    process: subprocess.Popen[bytes]

    def cpu_seconds(self) -> float:
        """CPU time used so far by the server: its master and every worker."""
        return _cpu_seconds([self.process])


@contextmanager
def served(env: dict[str, str], readers: Sequence[str], folder: Path, workers: int = 2) -> Iterator[dict[str, Server]]:
    """A ready server (GET /readyz answered 200) per reader, all stopped on exit.

    The servers start together (a start is mostly imports: one server's start would otherwise be
    waited for twice) and are measured one at a time; a server not under load sits idle."""
    processes: list[subprocess.Popen[bytes]] = []
    urls: dict[str, str] = {}
    try:
        for reader in readers:
            process, urls[reader] = _start(env, reader, folder, workers)
            processes.append(process)
        for process, reader in zip(processes, readers, strict=True):
            _wait_ready(process, urls[reader], folder / f"server-{reader}.log")
        _wait_settled(processes)
        yield {reader: Server(urls[reader], process) for reader, process in zip(readers, processes, strict=True)}
    finally:
        for process in processes:
            _stop(process)


def _start(env: dict[str, str], reader: str, folder: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
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
    with (folder / f"server-{reader}.log").open("w") as log:  # the child keeps its own descriptor
        command = [PIXELRANK, "serve", "--workers", str(workers), "--port", str(port)]
        process = subprocess.Popen(
            command, env=env, cwd=folder, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, f"http://127.0.0.1:{port}"


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


def _wait_settled(processes: Sequence[subprocess.Popen[bytes]], timeout_s: float = 120.0) -> None:
    """Until the servers' processes together use under a tenth of a CPU for a second: /readyz answers
    from the first worker up, and a worker still importing would compete with the load measured."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        before = _cpu_seconds(processes)
        time.sleep(1.0)
        if _cpu_seconds(processes) - before < 0.1:
            return


def _cpu_seconds(processes: Sequence[subprocess.Popen[bytes]]) -> float:
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            parent = psutil.Process(process.pid)
            for member in (parent, *parent.children(recursive=True)):
                with contextlib.suppress(psutil.NoSuchProcess):
                    times = member.cpu_times()
                    total += times.user + times.system
    return total


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGINT)  # uvicorn's graceful shutdown of the master and its workers
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

"""`pixelrank serve --workers N` as subprocesses of benchmarks/feed.py, one per path, on free loopback ports.

Each server runs with the world's environment plus: the path under test (fast: the fast feature reader and
compiled trees; previous: the same settings on an older commit's code; stock: Feast's `get_online_features`
and LightGBM's own predict),
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
ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("candidates", "features", "ranking", "social_core", "serving", "training")


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

    def rss_mib(self) -> dict[str, list[float]]:
        """Resident memory of the master and of each worker (MiB; a worker's includes pages it shares)."""
        parent = psutil.Process(self.process.pid)
        workers = [p for p in parent.children(recursive=True) if "multiprocessing.resource_tracker" not in _cmd(p)]
        return {
            "master": [parent.memory_info().rss / 2**20],
            "workers": [w.memory_info().rss / 2**20 for w in workers],
            "workers_uss": [_uss(w) / 2**20 for w in workers],
        }


def _cmd(process: psutil.Process) -> str:
    with contextlib.suppress(psutil.Error):
        return " ".join(process.cmdline())
    return ""


def _uss(process: psutil.Process) -> float:
    """Memory unique to the process (not shared with the master or another worker)."""
    with contextlib.suppress(psutil.Error):
        return float(process.memory_full_info().uss)
    return float("nan")


@contextmanager
def served(
    env: dict[str, str], readers: Sequence[str], folder: Path, workers: int = 2, previous: Path | None = None
) -> Iterator[dict[str, Server]]:
    """A ready server (GET /readyz answered 200) per reader, all stopped on exit.

    The reader "previous" is the fast path of an older commit's code, extracted to `previous`
    (`previous_code`): the same venv's python with that folder first on PYTHONPATH and as its cwd.

    The servers start together (a start is mostly imports: one server's start would otherwise be
    waited for twice) and are measured one at a time; a server not under load sits idle."""
    processes: list[subprocess.Popen[bytes]] = []
    urls: dict[str, str] = {}
    try:
        for reader in readers:
            process, urls[reader] = _start(env, reader, folder, workers, previous)
            processes.append(process)
        for process, reader in zip(processes, readers, strict=True):
            _wait_ready(process, urls[reader], folder / f"server-{reader}.log")
        _wait_settled(processes)
        yield {reader: Server(urls[reader], process) for reader, process in zip(readers, processes, strict=True)}
    finally:
        for process in processes:
            _stop(process)


def previous_code(commit: str, folder: Path, repo: Path = ROOT) -> Path:
    """The packages of `commit` (`git archive`), extracted under `folder`/previous."""
    target = folder / "previous"
    target.mkdir()
    archive = subprocess.run(["git", "archive", commit, *PACKAGES], cwd=repo, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    return target


def _start(
    env: dict[str, str], reader: str, folder: Path, workers: int, previous: Path | None
) -> tuple[subprocess.Popen[bytes], str]:
    port, metrics = free_port(), folder / f"metrics-{reader}"
    stock = reader == "stock"
    env = env | {
        "PIXELRANK_FEATURE_READER": "stock" if stock else "fast",
        "PIXELRANK_COMPILED_TREES": "false" if stock else "true",  # the stock path: stock LightGBM too
        "PIXELRANK_METRICS_DIR": str(metrics),
        "PROMETHEUS_MULTIPROC_DIR": str(metrics),
        "PIXELRANK_RELAY": "off",
        "PIXELRANK_LOG_LEVEL": "warning",
    }
    metrics.mkdir()  # before the server starts: importing Feast already writes multiprocess metric files
    with (folder / f"server-{reader}.log").open("w") as log:  # the child keeps its own descriptor
        command = [PIXELRANK, "serve", "--workers", str(workers), "--port", str(port)]
        cwd = folder
        if reader == "previous":
            if previous is None:
                raise ValueError("the previous reader needs the previous code's folder")
            command = [sys.executable, "-c", "from serving.cli import main; main()", *command[1:]]
            env, cwd = env | {"PYTHONPATH": str(previous)}, previous  # first on sys.path, before the editable install
        process = subprocess.Popen(
            command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
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

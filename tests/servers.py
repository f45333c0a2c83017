"""Servers the tests start in processes of their own: a free loopback port, and waiting until one answers."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_healthy(process: subprocess.Popen[bytes], base: str, log: Path, timeout_s: float = 60.0) -> None:
    """Until `GET /healthz` answers 200; fails with the server's log when it exits or never answers
    (a generous bound: starting is mostly imports, slow on two shared cores)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"server at {base} did not come up in {timeout_s:.0f} s:\n{log.read_text()}")

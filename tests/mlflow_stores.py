"""MLflow stores for tests: a real `mlflow server` on a free port and a plain SQLite store, plus a toy model.

A test module's fixture parametrized over `STORE_KINDS` returns `store_uri(kind, ...)`. Both stores are
started once per test session (a server needs seconds to come up, a SQLite store seconds to create its
tables) and shared: tests isolate themselves with unique registered-model names.
The toy model is a folder holding a JSON of weights; `load_toy` is its loader, by module path
"tests.mlflow_stores:load_toy", the way real models are loaded.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from mlflow import MlflowClient

from training.tracking import log_folder_model, open_experiment

VENV_BIN = Path(__file__).resolve().parents[1] / ".venv" / "bin"
TOY_LOADER = "tests.mlflow_stores:load_toy"
FEATURES = ("f0", "f1", "f2")
STORE_KINDS = ("sqlite", "server")
_STORES: dict[str, str] = {}  # kind → URI, once per session (see the docstring)


@dataclass(frozen=True)
class ToyModel:
    """Scores `like` as the sigmoid of a weighted sum; `label` says which registry version it is."""

    weights: tuple[float, ...]
    label: str
    heads: tuple[str, ...] = ("like",)
    feature_names: tuple[str, ...] = FEATURES

    def predict(self, features: np.ndarray) -> dict[str, np.ndarray]:
        return {"like": 1 / (1 + np.exp(-(np.asarray(features, dtype=float) @ np.asarray(self.weights))))}


def save_toy(folder: Path, weights: tuple[float, ...]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "weights.json").write_text(json.dumps({"weights": list(weights)}))
    return folder


def load_toy(folder: Path, label: str = "local") -> ToyModel:
    return ToyModel(tuple(json.loads((Path(folder) / "weights.json").read_text())["weights"]), label)


def example() -> pd.DataFrame:
    return pd.DataFrame(np.eye(3, dtype=np.float32), columns=list(FEATURES))


def log_toy_run(
    tracking_uri: str, folder: Path, metric: float, *, pyfunc: bool = True, metric_name: str = "holdout_ndcg_at_10"
) -> str:
    """One training run of the toy model (pyfunc model or plain artifact folder); its run id."""
    open_experiment(tracking_uri, "toy")
    with mlflow.start_run() as run:
        mlflow.log_metric(metric_name, metric)
        if pyfunc:
            log_folder_model(folder, loader=TOY_LOADER, input_example=example(), feature_service="ranker_v1")
        else:
            mlflow.log_artifacts(str(folder), artifact_path="model")
    return str(run.info.run_id)


def unique_name() -> str:
    return f"test-model-{uuid.uuid4().hex[:10]}"


def store_uri(kind: str, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The session's store of this kind ("sqlite" or "server"), started on first use, stopped at session end.

    Test modules wrap it in a fixture parametrized over `STORE_KINDS`.
    """
    if kind not in _STORES:
        folder = tmp_path_factory.mktemp(f"mlflow-{kind}")
        if kind == "sqlite":
            _STORES[kind] = f"sqlite:///{folder / 'mlflow.db'}"
            MlflowClient(_STORES[kind]).search_experiments()  # create it: tests may run in any order (xdist)
        else:
            server = Server.start(folder)
            request.config.add_cleanup(server.stop)
            _STORES[kind] = server.url
    return _STORES[kind]


@dataclass
class Server:
    """`mlflow server` in its own process group (it forks uvicorn workers), answering on `url`."""

    process: subprocess.Popen[bytes]
    url: str

    @classmethod
    def start(cls, folder: Path, timeout_s: float = 90.0) -> Server:
        port = _free_port()
        command = [str(VENV_BIN / "mlflow"), "server", "--backend-store-uri", f"sqlite:///{folder / 'server.db'}"]
        command += ["--artifacts-destination", str(folder / "artifacts"), "--host", "127.0.0.1", "--port", str(port)]
        with (folder / "server.log").open("wb") as log:
            process = subprocess.Popen(
                [*command, "--workers", "1"],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=os.environ | {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"},  # no background job runner
                cwd=folder,
            )
        server = cls(process, f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"mlflow server exited with {process.returncode}: see {folder / 'server.log'}")
            try:
                with urllib.request.urlopen(f"{server.url}/health", timeout=1) as response:
                    if response.status == 200:
                        return server
            except OSError:
                time.sleep(0.3)
        server.stop()
        raise RuntimeError(f"mlflow server did not answer /health within {timeout_s} s: see {folder / 'server.log'}")

    def stop(self) -> None:
        """SIGTERM the whole group, then SIGKILL whatever is left of it."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                return
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(15)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

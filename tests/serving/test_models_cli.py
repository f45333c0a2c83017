"""`pixelrank models list|promote|rollback` against a real tracking server and the SQLite store."""

from __future__ import annotations

from pathlib import Path

import pytest
from mlflow import MlflowClient
from typer.testing import CliRunner

from serving.cli import app
from tests.mlflow_stores import STORE_KINDS, log_toy_run, save_toy, store_uri, unique_name
from training import registry


@pytest.fixture(params=STORE_KINDS)
def tracking_uri(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> str:
    uri = store_uri(request.param, request, tmp_path_factory)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    return uri


@pytest.fixture(autouse=True)
def wide_terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("COLUMNS", "200")  # rich tables: one row per line
    monkeypatch.setenv("PIXELRANK_HOME", str(tmp_path / "home"))


def registered(uri: str, values: tuple[float, ...], folder: Path) -> str:
    name = unique_name()
    for value in values:
        run_id = log_toy_run(uri, folder, value, pyfunc=False)
        registry.register(run_id, name, "holdout_ndcg_at_10", "2026-01", client=MlflowClient(uri))
    return name


def row(output: str, version: str) -> str:
    return next(line for line in output.splitlines() if line.split("│")[1:2] == [f" {version:>7} "])


def test_list_promote_rollback(tracking_uri: str, tmp_path: Path) -> None:
    name = registered(tracking_uri, (0.30, 0.20), save_toy(tmp_path / "toy", (1.0, 0.0, 0.0)))
    listed = CliRunner().invoke(app, ["models", "list", "--name", name])
    assert listed.exit_code == 0, listed.output
    assert "holdout_ndcg_at_10" in listed.stdout and "champion" in row(listed.stdout, "1")
    assert "0.3000" in row(listed.stdout, "1") and "0.2000" in row(listed.stdout, "2")
    assert "challenger" in row(listed.stdout, "2") and "2026-01" in row(listed.stdout, "2")
    promoted = CliRunner().invoke(app, ["models", "promote", name, "2"])
    assert promoted.exit_code == 0 and "version 2 is now the champion" in promoted.stdout
    assert "champion" in row(CliRunner().invoke(app, ["models", "list", "--name", name]).stdout, "2")
    rolled = CliRunner().invoke(app, ["models", "rollback", name])
    assert rolled.exit_code == 0 and "version 1 is the champion again" in rolled.stdout
    assert registry.champion_of(MlflowClient(tracking_uri), name).version == "1"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["promote", "{name}", "9"], "has no version '9'"),
        (["promote", "no-such-model", "1"], "no registered model named 'no-such-model'"),
        (["rollback", "{name}"], "nothing to roll back to"),
        (["rollback", "no-such-model"], "no registered model named 'no-such-model'"),
        (["list", "--name", "no-such-model"], "no registered model named 'no-such-model'"),
    ],
)
def test_bad_requests_exit_2_with_one_line(tracking_uri: str, tmp_path: Path, args: list[str], message: str) -> None:
    name = registered(tracking_uri, (0.30,), save_toy(tmp_path / "toy", (1.0, 0.0, 0.0)))
    result = CliRunner().invoke(app, ["models", *(arg.format(name=name) for arg in args)])
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and message in lines[0]


def test_list_without_a_name_shows_every_model_name(tracking_uri: str) -> None:
    result = CliRunner().invoke(app, ["models", "list"])
    assert result.exit_code == 0, result.output
    assert "pixelrank-ranker: no versions registered yet" in result.stdout
    assert "pixelrank-two-tower: no versions registered yet" in result.stdout
    assert "pixelrank-image-encoder: no versions registered yet" in result.stdout


def test_no_store_yet_is_a_one_line_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("PIXELRANK_MLFLOW_TRACKING_URI", raising=False)
    result = CliRunner().invoke(app, ["models", "list"])
    assert result.exit_code == 2 and result.stderr.startswith("Error: no MLflow store at ")
    assert len(result.stderr.strip().splitlines()) == 1

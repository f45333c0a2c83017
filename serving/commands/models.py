"""`pixelrank models list|promote|rollback`: manual control of the registry's champion.

Training moves `champion` only when a version beats it on the same holdout; these commands are the
reviewer's override (promote a challenger) and the operator's undo (roll back to the previous champion).
Serving follows the alias within `PIXELRANK_MODEL_REFRESH_S` seconds, without a restart.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Annotated

import typer
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from rich.console import Console
from rich.table import Table

from serving.console import fail
from serving.settings import Settings
from training import registry
from training.registry import RegistryError, VersionInfo

# MLflow's SQLite store trips a SQLAlchemy 2.1 deprecation on import: noise on every command, not ours to fix.
warnings.filterwarnings("ignore", message="The ``noload`` loader strategy", category=DeprecationWarning)

app = typer.Typer(help="List, promote and roll back registered model versions.", no_args_is_help=True)
SQLITE = "sqlite:///"


@app.command("list")
def list_(
    name: Annotated[str | None, typer.Option(help="One registered model (default: ranker and two-tower).")] = None,
) -> None:
    """Show each version: its aliases, holdout metric, holdout and creation time."""
    client = _client()
    for model in [name] if name else registry.MODEL_NAMES:
        try:
            versions = registry.list_versions(model, client=client)
        except RegistryError as error:
            if name:
                fail(str(error))
            Console().print(f"{model}: no versions registered yet")
            continue
        except MlflowException as error:
            fail(_first_line(error), code=1)
        Console().print(_table(model, versions))


@app.command()
def promote(
    name: Annotated[str, typer.Argument(help="Registered model, e.g. pixelrank-ranker.")],
    version: Annotated[str, typer.Argument(help="Version number to make the champion.")],
) -> None:
    """Make VERSION the champion of NAME, whatever its metric (serving picks it up at its next refresh)."""
    try:
        promoted = registry.promote(name, version, client=_client())
    except RegistryError as error:
        fail(str(error))
    except MlflowException as error:
        fail(_first_line(error), code=1)
    Console().print(f"{name}: version {promoted.version} is now the champion")


@app.command()
def rollback(name: Annotated[str, typer.Argument(help="Registered model, e.g. pixelrank-ranker.")]) -> None:
    """Give the champion alias back to the version the current champion replaced."""
    try:
        restored = registry.rollback(name, client=_client())
    except RegistryError as error:
        fail(str(error))
    except MlflowException as error:
        fail(_first_line(error), code=1)
    Console().print(f"{name}: rolled back, version {restored.version} is the champion again")


def _client() -> MlflowClient:
    uri = Settings().tracking_uri
    if uri.startswith(SQLITE) and not Path(uri.removeprefix(SQLITE)).exists():
        fail(f"no MLflow store at {uri.removeprefix(SQLITE)} yet: train a model first (or set MLFLOW_TRACKING_URI)")
    return MlflowClient(uri, registry_uri=uri)


def _table(name: str, versions: list[VersionInfo]) -> Table:
    metric_names = {v.metric_name for v in versions if v.metric_name}
    shared = metric_names.pop() if len(metric_names) == 1 else None  # usually one metric: name it in the title
    table = Table(title=f"{name} (metric: {shared})" if shared else name)
    table.add_column("version", justify="right")
    table.add_column("aliases")
    table.add_column("metric", justify="right")
    table.add_column("holdout")
    table.add_column("created (UTC)")
    for v in versions:
        metric = "-" if v.metric is None else f"{v.metric:.4f}" if shared else f"{v.metric_name} {v.metric:.4f}"
        created = v.created.strftime("%Y-%m-%d %H:%M")
        table.add_row(v.version, ", ".join(v.aliases) or "-", metric, v.holdout_id or "-", created)
    return table


def _first_line(error: MlflowException) -> str:
    return f"MLflow: {str(error.message).strip().splitlines()[0]}"

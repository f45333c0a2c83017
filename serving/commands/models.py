"""`pixelrank models list|compare|promote|rollback`: the registry's versions, side by side, and manual control.

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

from serving.commands.estimates import estimates_table
from serving.console import fail
from serving.settings import Settings
from social_core.db import make_engine
from training import registry
from training.off_policy.evaluate import estimate_model, feed_arrangement, value_reward
from training.off_policy.logs import load_explored
from training.ranker.job import load_version
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


@app.command()
def compare(
    a: Annotated[str, typer.Argument(help="A version number (e.g. the champion's).")],
    b: Annotated[str, typer.Argument(help="Another version number.")],
    name: Annotated[str, typer.Option(help="The registered ranker.")] = registry.RANKER,
) -> None:
    """Holdout metrics and off-policy estimates of two ranker versions side by side.

    The estimates re-rank every explored request logged so far (`pixelrank simulate --policy model --explore`,
    or serving with PIXELRANK_EXPLORATION_RATE) and arrange it as the feed does, rewarded by serving's value
    weights, A's heads as the reward model, with 90% bootstrap intervals."""
    client = _client()
    try:
        versions = [registry.version_of(name, v, client=client) for v in (a, b)]
        models = [load_version(client, name, v.version) for v in versions]
    except RegistryError as error:
        fail(str(error))
    except MlflowException as error:
        fail(_first_line(error), code=1)
    if models[0].feature_names != models[1].feature_names:
        fail(f"v{a} and v{b} read other feature columns: their off-policy estimates would not be comparable")
    Console().print(_holdout_table(client, name, versions))
    settings = Settings()
    engine = make_engine(settings.db_url)
    try:
        logs = load_explored(engine, models[0].feature_names)
    finally:
        engine.dispose()
    if len(logs) == 0:
        Console().print("no explored requests logged yet: no off-policy estimates")
        return
    arrangement = feed_arrangement(settings.home)
    estimates = {
        f"v{v.version}": estimate_model(logs, m, models[0], value_reward(), selectors=arrangement)
        for v, m in zip(versions, models, strict=True)
    }
    Console().print(
        estimates_table(f"off-policy estimates on {len(logs):,} explored requests (value reward)", estimates)
    )


def _holdout_table(client: MlflowClient, name: str, versions: list[VersionInfo]) -> Table:
    metrics = [client.get_run(v.run_id).data.metrics if v.run_id else {} for v in versions]
    table = Table(title=f"{name}: holdout metrics as each run logged them")
    table.add_column("metric")
    for v in versions:
        table.add_column(f"v{v.version} ({v.holdout_id or 'no holdout'})", justify="right")
    shown = sorted({k for m in metrics for k in m if k.startswith("test_")})
    for key in shown:
        table.add_row(key, *(f"{m[key]:.4f}" if key in m else "-" for m in metrics))
    return table


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

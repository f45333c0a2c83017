"""`pixelrank features apply|build|materialize|skew`: the Feast feature platform from the command line.

Built from `Settings` (home, database URL, Redis URL): the online store is Redis when REDIS_URL is
set, else the embedded SQLite one under PIXELRANK_HOME.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from features.batch.pipeline import BatchConfig, build_features
from features.materialize import materialize as materialize_views
from features.skew import SkewConfig, check_skew
from features.store import FeatureStoreConfig, open_store
from features.store import apply as apply_definitions
from serving.settings import Settings
from social_core.db import make_engine

app = typer.Typer(
    help="The feature platform (Feast): definitions, batch build, materialization, skew.", no_args_is_help=True
)


def store_config(settings: Settings) -> FeatureStoreConfig:
    return FeatureStoreConfig(home=settings.home, redis_url=settings.redis_url)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=Console(stderr=True), transient=True
    )


@app.command()
def apply() -> None:
    """Register the entities, feature views and services of features/repo/ (`feast apply`)."""
    config = store_config(Settings())
    with _progress() as progress:
        progress.add_task("feast apply", total=None)
        names = apply_definitions(open_store(config), config)
    Console().print(f"applied {len(names)} objects to {config.repo_dir} ({config.online_type} online store)")


@app.command()
def build(
    as_of: Annotated[
        datetime | None, typer.Option(help="Build as of this UTC time [default: the newest event].")
    ] = None,
) -> None:
    """Recompute every feature view from the outbox into parquet (the offline store)."""
    settings = Settings()
    engine = make_engine(settings.db_url)
    at = as_of.replace(tzinfo=UTC) if as_of and as_of.tzinfo is None else as_of
    try:
        with _progress() as progress:
            task = progress.add_task("features build", total=6)
            report = build_features(
                engine,
                BatchConfig(store_config(settings).data_dir, as_of=at),
                lambda step, done, total: progress.update(task, description=step, advance=1),
            )
    finally:
        engine.dispose()
    table = Table(
        "view",
        "rows",
        title=f"{report.events:,} events in {report.seconds:.1f} s "
        f"({report.events_per_second:,.0f} events/s), as of {report.as_of}",
    )
    for view, rows in report.rows.items():
        table.add_row(view, f"{rows:,}")
    Console().print(table)


@app.command()
def materialize(
    full: Annotated[
        bool, typer.Option(help="Reload everything instead of only what changed since the last run.")
    ] = False,
) -> None:
    """Load the newest batch rows into the online store (incremental by default)."""
    config = store_config(Settings())
    store = open_store(config)
    with _progress() as progress:
        progress.add_task("materialize", total=None)
        materialize_views(store, datetime.now(UTC), incremental=not full)
    Console().print(f"materialized into the {config.online_type} online store")


@app.command()
def skew(
    sample: Annotated[int, typer.Option(help="Recent impressions to compare.")] = 500,
    threshold: Annotated[float, typer.Option(help="Largest mismatch rate a feature may have.")] = 0.01,
) -> None:
    """Per recent impression: served features vs its training row (features.skew); exit 1 above threshold."""
    settings = Settings()
    engine = make_engine(settings.db_url)
    try:
        with _progress() as progress:
            progress.add_task("skew", total=None)
            report = check_skew(
                open_store(store_config(settings)), engine, SkewConfig(sample=sample, threshold=threshold)
            )
    finally:
        engine.dispose()
    table = Table(
        "feature",
        "compared",
        "mismatch",
        title=f"train/serve skew on {report.rows} impressions ({report.logged} with logged features)",
    )
    for name, rate in report.mismatch.items():
        shown = f"[red]{rate:.1%}[/red]" if rate > threshold else f"{rate:.1%}" if report.compared[name] else "—"
        table.add_row(name, f"{report.compared[name]:,}", shown)
    Console().print(table)
    if not report.ok:
        Console(stderr=True).print(f"{len(report.failing)} features above {threshold:.1%}: {', '.join(report.failing)}")
        raise typer.Exit(1)

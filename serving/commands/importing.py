"""`pixelrank import`: a real interaction log (generic CSV or MovieLens) into the app's tables and outbox."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from serving.console import RichProgress, fail
from serving.settings import Settings
from social_core import migrate
from social_core.db import make_engine
from training.evaluation.data import DatasetError
from training.importing import ImportSummary, import_dataset


def import_(
    interactions: Annotated[
        Path,
        typer.Option(help="CSV with user_id,item_id,timestamp[,rating|weight] (or MovieLens ratings.csv)."),
    ],
    follows: Annotated[Path | None, typer.Option(help="Follow graph CSV: follower_id,followee_id[,timestamp].")] = None,
    items: Annotated[
        Path | None,
        typer.Option(help="Items CSV: item_id,title[,tags] (MovieLens: movies.csv, found beside ratings.csv)."),
    ] = None,
    data_format: Annotated[
        Literal["csv", "movielens"], typer.Option("--format", help="Column layout of the files.")
    ] = "csv",
    name: Annotated[
        str | None, typer.Option(help="Dataset name [default: the MovieLens folder or the interactions file's stem].")
    ] = None,
) -> None:
    """Import users, items (as posts), likes/views and follows, with their events, in one transaction."""
    settings = Settings()
    settings.home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.db_url)
    try:
        migrate.upgrade(engine)
        with RichProgress(Console(stderr=True), transient=True) as report:
            summary = import_dataset(
                engine, settings.home, interactions, follows, items, data_format, report, name=name
            )
    except DatasetError as error:
        fail(str(error))
    finally:
        engine.dispose()
    _print_summary(summary)


def _print_summary(summary: ImportSummary) -> None:
    table = Table()
    table.add_column("what")
    table.add_column("rows", justify="right")
    for label, count in (
        ("users", summary.users),
        ("posts", summary.posts),
        ("hashtags", summary.hashtags),
        ("likes", summary.likes),
        ("views", summary.views),
        ("follows", summary.follows),
        ("events", summary.events),
    ):
        table.add_row(label, f"{count:,}")
    console = Console()
    console.print(f"imported {escape(summary.dataset)} in {summary.seconds:.1f} s")
    console.print(table)
    console.print(f"posts by {escape(summary.catalog_username)}; id mapping: {escape(str(summary.mapping_path))}")

"""`pixelrank train two-tower`: train the retrieval model on the database's engagement, index every post."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from serving.settings import Settings
from training.two_tower import TwoTowerJobConfig, main


def train_two_tower(
    epochs: Annotated[int, typer.Option(help="Most epochs; early stopping may end sooner.")] = 10,
    version: Annotated[str | None, typer.Option(help="Model version folder name (default: the UTC time).")] = None,
    impressions: Annotated[bool, typer.Option(help="Count impressions as positives too.")] = False,
    threads: Annotated[int, typer.Option(help="torch threads.")] = 1,
    tracking_uri: Annotated[
        str | None, typer.Option(help="MLflow tracking URI (default: sqlite:///{home}/mlflow.db).")
    ] = None,
) -> None:
    """Train the two-tower model on likes, comments and saves, log it to MLflow, write its FAISS index."""
    settings = Settings()
    defaults = TwoTowerJobConfig(home=settings.home, database_url=settings.db_url)
    config = replace(
        defaults,
        version=version,
        include_impressions=impressions,
        tracking_uri=tracking_uri,
        train=replace(defaults.train, epochs=epochs, threads=threads),
    )
    with Progress(
        TextColumn("training two-tower"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("", total=epochs)

        def on_epoch(epoch: int, metrics: dict[str, float]) -> None:
            progress.update(
                task,
                completed=epoch + 1,
                description=f"loss {metrics['loss']:.3f}  val recall {metrics['val_recall']:.3f}",
            )

        result = main(config, on_epoch)
    table = Table(title=f"two-tower {result.version} (best epoch {result.best_epoch}, run {result.run_id[:8]})")
    table.add_column("K", justify="right")
    table.add_column("test recall@K", justify="right")
    for k, value in result.recall.items():
        table.add_row(str(k), f"{value:.4f}")
    Console().print(table)
    Console().print(f"model and index: {result.folder}")

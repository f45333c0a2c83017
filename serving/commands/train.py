"""`pixelrank train ranker|two-tower|image-encoder|all`: the offline training jobs, with progress bars and a
result table.

Each command builds its job's config dataclass from `Settings` (home, database, Redis, MLflow tracking
URI) and a few options, runs the job's `main`, and prints what it measured on the holdout.
"""

from __future__ import annotations

from dataclasses import replace
from enum import StrEnum
from typing import Annotated

import torch
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from features.store import FeatureStoreConfig
from serving.commands.estimates import estimates_table
from serving.console import RichProgress, fail
from serving.settings import Settings
from social_core.media import make_store
from training.image_encoder import ImageEncoderJobConfig, ImageEncoderJobResult
from training.image_encoder import main as image_encoder_main
from training.ranker.dataset import RankerDataError
from training.ranker.job import RankerJobConfig, RankerJobResult
from training.ranker.job import main as ranker_main
from training.registry import Decision
from training.two_tower import TwoTowerJobConfig, TwoTowerJobResult
from training.two_tower import main as two_tower_main

app = typer.Typer(
    help="Train the models (two-tower retrieval, feed ranker) and log the runs to MLflow.", no_args_is_help=True
)


class Family(StrEnum):
    lightgbm = "lightgbm"
    torch = "torch"


ModelOption = Annotated[Family, typer.Option("--model", help="Ranker family: LightGBM heads or the torch MMoE.")]
VersionOption = Annotated[str | None, typer.Option(help="Model version folder name (default: the UTC time).")]
ThreadsOption = Annotated[int, typer.Option(help="Training threads (LightGBM / torch).")]
BuildOption = Annotated[
    bool, typer.Option("--build-features/--reuse-features", help="Rebuild the batch features from the outbox first.")
]
EpochsOption = Annotated[int, typer.Option(help="Most two-tower epochs; early stopping may end sooner.")]


@app.command()
def ranker(
    model: ModelOption = Family.lightgbm,
    version: VersionOption = None,
    build_features: BuildOption = True,
    rounds: Annotated[int | None, typer.Option(help="Most LightGBM boosting rounds per head.")] = None,
    epochs: Annotated[int | None, typer.Option(help="Most torch epochs.")] = None,
    threads: ThreadsOption = 1,
    seed: Annotated[int, typer.Option(help="Random seed of the training.")] = 0,
) -> None:
    """Train the feed ranker on logged impressions (point-in-time features), evaluate it on later requests."""
    if (rounds is not None and rounds < 1) or (epochs is not None and epochs < 1) or threads < 1:
        fail("--rounds, --epochs and --threads must be at least 1")
    config = _ranker_config(Settings(), model, version, build_features, threads, seed)
    config = replace(
        config,
        lightgbm=replace(config.lightgbm, rounds=rounds or config.lightgbm.rounds),
        torch=replace(config.torch, epochs=epochs or config.torch.epochs),
    )
    _print_ranker(_train_ranker(config))


@app.command("two-tower")
def two_tower(
    epochs: EpochsOption = 10,
    version: VersionOption = None,
    impressions: Annotated[bool, typer.Option(help="Count impressions as positives too.")] = False,
    threads: ThreadsOption = 1,
) -> None:
    """Train the two-tower model on likes, comments and saves, log it to MLflow, write its FAISS index."""
    if epochs < 1 or threads < 1:
        fail("--epochs and --threads must be at least 1")
    _print_two_tower(_train_two_tower(_two_tower_config(Settings(), epochs, version, impressions, threads)))


@app.command("image-encoder")
def image_encoder(
    version: VersionOption = None,
    epochs: Annotated[int, typer.Option(min=1, help="Most distillation epochs; early stopping may end sooner.")] = 30,
    threads: ThreadsOption = 1,
) -> None:
    """Distil the image encoder from the newest two-tower's post space; a new champion embeds every picture,
    which the next two-tower training reads."""
    _print_image_encoder(_train_image_encoder(Settings(), version, epochs, threads))


@app.command("all")
def all_(
    model: ModelOption = Family.lightgbm,
    version: VersionOption = None,
    epochs: EpochsOption = 10,
    threads: ThreadsOption = 1,
) -> None:
    """Train the two-tower model, the image encoder from it (its pictures feed the next two-tower), then the
    ranker (fresh batch features), with one version name for all three."""
    if epochs < 1 or threads < 1:
        fail("--epochs and --threads must be at least 1")
    settings = Settings()
    two_tower_result = _train_two_tower(_two_tower_config(settings, epochs, version, False, threads))
    _print_two_tower(two_tower_result)
    _print_image_encoder(_train_image_encoder(settings, two_tower_result.version, 30, threads, required=False))
    _print_ranker(_train_ranker(_ranker_config(settings, model, two_tower_result.version, True, threads)))


def _ranker_config(
    settings: Settings, model: Family, version: str | None, build_features: bool, threads: int, seed: int = 0
) -> RankerJobConfig:
    config = RankerJobConfig(
        home=settings.home,
        database_url=settings.db_url,
        redis_url=settings.redis_url,
        tracking_uri=settings.tracking_uri,
        model=model.value,
        version=version,
        build_features=build_features,
    )
    return replace(
        config,
        lightgbm=replace(config.lightgbm, threads=threads, seed=seed),
        torch=replace(config.torch, threads=threads, seed=seed),
    )


def _train_ranker(config: RankerJobConfig) -> RankerJobResult:
    try:
        with RichProgress(Console(stderr=True), transient=True) as progress:
            return ranker_main(config, progress)
    except RankerDataError as error:
        fail(str(error))


def _print_ranker(result: RankerJobResult) -> None:
    metrics = result.metrics
    table = Table(title=f"ranker {result.model} {result.version}: holdout ({result.sizes['test_rows']:,} impressions)")
    for column in ("head", "AUC", "log-loss", "calibration error", "base rate", "mean predicted"):
        table.add_column(column, justify="left" if column == "head" else "right")
    for head in result.heads:
        names = ("auc", "logloss", "ece", "base_rate", "mean_prediction")
        values = [metrics.get(f"test_{name}_{head}") for name in names]
        table.add_row(head, *("-" if value is None else f"{value:.4f}" for value in values))
    Console().print(table)
    ranking = Table(title="holdout requests")
    ranking.add_column("ranked by")
    ranking.add_column("NDCG@10", justify="right")
    for suffix, label in (("", "value of the heads"), ("_lambdarank", "LambdaRank"), ("_logged", "logged order")):
        if f"test_ndcg_at_10{suffix}" in metrics:
            ranking.add_row(label, f"{metrics[f'test_ndcg_at_10{suffix}']:.4f}")
    Console().print(ranking)
    top = ", ".join(list(result.importance)[:5])
    Console().print(f"most needed features: {top}")
    Console().print(f"model: {result.folder}\nMLflow run: {result.run_id} (holdout {result.holdout_id})")
    if result.off_policy is not None:
        report = result.off_policy
        columns = {"new": report.new, **({"champion": report.champion} if report.champion else {})}
        title = f"off-policy estimates on {report.requests:,} explored requests not trained on (value reward)"
        Console().print(estimates_table(title, columns))
    _print_decision(result.decision)


def _two_tower_config(
    settings: Settings, epochs: int, version: str | None, impressions: bool, threads: int
) -> TwoTowerJobConfig:
    defaults = TwoTowerJobConfig(home=settings.home, database_url=settings.db_url)
    return replace(
        defaults,
        version=version,
        include_impressions=impressions,
        tracking_uri=settings.tracking_uri,
        train=replace(defaults.train, epochs=epochs, threads=threads),
        features=FeatureStoreConfig(home=settings.home, redis_url=settings.redis_url),
    )


def _train_two_tower(config: TwoTowerJobConfig) -> TwoTowerJobResult:
    with Progress(
        TextColumn("training two-tower"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("", total=config.train.epochs)

        def on_epoch(epoch: int, metrics: dict[str, float]) -> None:
            progress.update(
                task,
                completed=epoch + 1,
                description=f"loss {metrics['loss']:.3f}  val recall {metrics['val_recall']:.3f}",
            )

        return two_tower_main(config, on_epoch)


def _print_two_tower(result: TwoTowerJobResult) -> None:
    table = Table(title=f"two-tower {result.version} (best epoch {result.best_epoch}, run {result.run_id[:8]})")
    table.add_column("K", justify="right")
    table.add_column("test recall@K", justify="right")
    for k, value in result.recall.items():
        table.add_row(str(k), f"{value:.4f}")
    Console().print(table)
    Console().print(f"model and index: {result.folder}")
    _print_decision(result.decision)


def _train_image_encoder(
    settings: Settings, version: str | None, epochs: int, threads: int, required: bool = True
) -> ImageEncoderJobResult | None:
    """`required` False (`train all`): a world without enough pictures skips the encoder with a line."""
    defaults = ImageEncoderJobConfig(
        settings.home, settings.db_url, make_store(settings.media_store_config), settings.tracking_uri
    )
    config = replace(defaults, version=version, distill=replace(defaults.distill, epochs=epochs))
    torch.set_num_threads(threads)
    try:
        with RichProgress(Console(stderr=True), transient=True) as progress:
            return image_encoder_main(config, lambda epoch, _: progress("distilling", epoch, epochs))
    except ValueError as error:  # no two-tower yet, or too few pictures
        if required:
            fail(str(error))
        Console(stderr=True).print(f"image encoder skipped: {error}", markup=False)
        return None


def _print_image_encoder(result: ImageEncoderJobResult | None) -> None:
    if result is None:
        return
    Console().print(
        f"image encoder {result.version}: holdout cosine {result.holdout_cosine:.3f} to the two-tower's post "
        f"embeddings (every picture as the mean: {result.baseline_cosine:.3f}), {result.pictures} pictures; "
        f"{result.embedded} media embedded"
    )
    _print_decision(result.decision)


def _print_decision(decision: Decision | None) -> None:
    if decision is not None:
        version = decision.version
        Console().print(f"registered {version.name} v{version.version} as {decision.alias}: {decision.reason}")

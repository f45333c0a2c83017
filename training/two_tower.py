"""Train the two-tower retrieval model on the app's engagement and index every post.

Reads top to bottom: load engagement (likes, comments, saves; optionally impressions) and the posts'
content (with their pictures' embeddings, once an image encoder has made them) from the database,
split it in time (train / validation for early stopping / test), train, measure test recall@K over the
whole catalogue, log params, metrics, the recall curve and the model to MLflow,
then write the model and the FAISS index of all post embeddings to `{home}/models/two_tower/{version}/`,
and register it as `pixelrank-two-tower`: champion only if its test recall@100 beats the champion's on
the same test split (the champion is re-measured on it when it was trained on older data).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import mlflow
import pandas as pd
import torch
from feast import FeatureStore

from candidates.images.media import image_space
from candidates.index import IndexConfig, PostIndex
from candidates.two_tower.embed import CONTENT_STATS, embed_posts, embed_users
from candidates.two_tower.inputs import PostTable
from candidates.two_tower.model import TwoTower, TwoTowerConfig
from candidates.two_tower.store import blank_unseen_ids, load_model, save_model
from candidates.two_tower.task import TaskConfig, TwoTowerTask
from candidates.two_tower.trainer import Examples, TrainConfig, fit
from candidates.two_tower.user_features import USER_FEATURES
from features.store import FeatureStoreConfig, open_store
from social_core.db import make_engine
from training.datasets.engagement import load_engagement, recall_curve, time_split
from training.datasets.user_features import user_features_at
from training.figures import recall_at_k_figure
from training.pyfunc import model_folder
from training.registry import TWO_TOWER, Decision, VersionInfo, download_version, fingerprint, register
from training.tracking import default_tracking_uri, log_folder_model, open_experiment

# What the logged model's signature shows: the post tower embeds posts from their content.
POST_EXAMPLE = pd.DataFrame(
    {
        "id": [1, 2],
        "author_id": [10, 11],
        "caption": ["Golden hour at the beach #sunset #travel", "Weeknight pasta #homecooking"],
        "media_type": ["image", "carousel"],
    }
)


@dataclass(frozen=True)
class TwoTowerJobConfig:
    home: Path
    database_url: str
    tracking_uri: str | None = None  # None: sqlite:///{home}/mlflow.db
    experiment: str = "two_tower"
    version: str | None = None  # None: the UTC start time, e.g. 20260110T120000
    include_impressions: bool = False
    images: bool = True  # the post tower reads the picture embeddings the media rows carry, when they have some
    test_fraction: float = 0.1
    validation_fraction: float = 0.1
    recall_ks: tuple[int, ...] = (10, 20, 50, 100, 200, 500)
    model: TwoTowerConfig = field(default_factory=lambda: TwoTowerConfig(history=20))
    task: TaskConfig = field(default_factory=lambda: TaskConfig(id_dropout=0.3))
    train: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=10, batch_size=256, patience=2))
    index: IndexConfig = field(default_factory=IndexConfig)
    register: bool = True  # register as `pixelrank-two-tower`, champion only if it beats the champion
    gate_k: int = 100  # the champion gate compares test recall@gate_k (one of recall_ks)
    # The feature store whose `two_tower_v1` user features the user tower reads (point in time);
    # None, or a store not built yet (`pixelrank features apply` + `build`): the tower goes without.
    features: FeatureStoreConfig | None = None


@dataclass
class TwoTowerJobResult:
    version: str
    folder: Path
    run_id: str
    recall: dict[int, float]
    best_epoch: int
    decision: Decision | None = None  # the registry's verdict (None: not registered)


def main(
    config: TwoTowerJobConfig, on_epoch: Callable[[int, dict[str, float]], None] | None = None
) -> TwoTowerJobResult:
    version = config.version or datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = config.home / "models" / "two_tower" / version
    store = built_feature_store(config.features)
    model_config = replace(
        config.model, user_dense=len(USER_FEATURES) if store is not None else 0, post_stats=len(CONTENT_STATS)
    )
    engine = make_engine(config.database_url)
    if config.images:
        with engine.connect() as conn:
            space = image_space(conn)
        if space is not None:
            model_config = replace(model_config, image_model=space[0], image_dim=space[1])
    data = load_engagement(
        engine,
        model_config.history,
        config.include_impressions,
        model_config.max_tokens,
        model_config.post_stats,
        (model_config.image_model, model_config.image_dim),
    )
    engine.dispose()
    if store is not None:
        data.examples.dense = user_features_at(store, data.examples.user_ids, data.examples.timestamps)
    train, validation, test = time_split(data.examples, config.test_fraction, config.validation_fraction)

    if config.gate_k not in config.recall_ks:
        raise ValueError(f"gate_k={config.gate_k} must be one of recall_ks {config.recall_ks}")
    tracking_uri = config.tracking_uri or default_tracking_uri(config.home)
    open_experiment(tracking_uri, config.experiment)
    with mlflow.start_run(run_name=version) as run:
        mlflow.log_params(
            flat_params(
                replace(config, model=model_config), version, len(train), len(validation), len(test), len(data.table)
            )
        )
        torch.manual_seed(config.train.seed)
        model = TwoTower.build(model_config)

        def log_epoch(epoch: int, metrics: dict[str, float]) -> None:
            mlflow.log_metrics(metrics, step=epoch)
            if on_epoch is not None:
                on_epoch(epoch, metrics)

        result = fit(TwoTowerTask(model, config.task), data.table, train, validation, config.train, log_epoch)
        table = blank_unseen_ids(data.table, train.post_rows)
        post_vectors = embed_posts(model, table)
        users = embed_users(model, test.user_ids, test.history, test.dense)
        recall = recall_curve(users, post_vectors, test.post_rows, config.recall_ks)
        mlflow.log_metrics({f"test_recall_at_{k}": value for k, value in recall.items()})
        mlflow.log_metric("best_epoch", result.best_epoch)
        mlflow.log_figure(
            recall_at_k_figure(sorted(recall), [recall[k] for k in sorted(recall)], f"two-tower {version}"),
            "recall_at_k.png",
        )

        save_model(model, folder)
        PostIndex.build(data.table.post_ids, post_vectors, config.index).save(folder / "index")
        log_folder_model(
            folder,
            loader="candidates.two_tower.store:load_post_encoder",
            input_example=POST_EXAMPLE,
            feature_service="two_tower_v1",
            input_kind="records",
        )
    decision = None
    if config.register:
        holdout = fingerprint(test.user_ids, test.post_rows, test.timestamps, data.table.post_ids)
        remeasure = champion_recall(tracking_uri, model_config, config.gate_k, table, test)
        client = mlflow.MlflowClient(tracking_uri)
        metric = f"test_recall_at_{config.gate_k}"
        decision = register(run.info.run_id, TWO_TOWER, metric, holdout, client=client, remeasure_champion=remeasure)
    return TwoTowerJobResult(version, folder, run.info.run_id, recall, result.best_epoch, decision)


def champion_recall(
    tracking_uri: str, model_config: TwoTowerConfig, k: int, table: PostTable, test: Examples
) -> Callable[[VersionInfo], float]:
    """Measures a champion trained on older data on this run's test split, so the gate compares like with like."""

    def measure(champion: VersionInfo) -> float:
        with tempfile.TemporaryDirectory() as scratch:
            local = download_version(mlflow.MlflowClient(tracking_uri), champion.name, champion.version, Path(scratch))
            model = load_model(model_folder(local))
        shape = ("history", "max_tokens", "post_stats", "user_dense")
        if any(getattr(model.config, key) != getattr(model_config, key) for key in shape):
            raise ValueError(f"champion v{champion.version} reads other inputs ({shape}) than this run")
        posts = table
        if model.config.image_model != model_config.image_model:
            if model.config.image_dim:  # its encoder's vectors are not the ones in the table
                raise ValueError(f"champion v{champion.version} reads pictures by {model.config.image_model}")
            posts = replace(table, image=table.image[:, :0])
        users = embed_users(model, test.user_ids, test.history, test.dense)
        return recall_curve(users, embed_posts(model, posts), test.post_rows, [k])[k]

    return measure


def built_feature_store(config: FeatureStoreConfig | None) -> FeatureStore | None:
    if config is None or not (config.repo_dir / "registry.db").exists() or not config.data_dir.exists():
        return None
    return open_store(config)


def flat_params(config: TwoTowerJobConfig, version: str, *sizes: int) -> dict[str, Any]:
    params: dict[str, Any] = {"version": version, "include_impressions": config.include_impressions}
    params |= dict(zip(("train_examples", "validation_examples", "test_examples", "posts"), sizes, strict=True))
    for prefix, part in (
        ("model", config.model),
        ("task", config.task),
        ("train", config.train),
        ("index", config.index),
    ):
        for key, value in asdict(part).items():
            params[f"{prefix}.{key}"] = value
    return params

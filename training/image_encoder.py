"""Train the image encoder by distillation into the two-tower's post space, and embed every picture with it.

Reads top to bottom: load the newest two-tower version and the posts' engagement; the warm posts
(at least `min_engagements` engagements) give the targets, their learned post embeddings less the mean
of all warm posts, averaged over the posts that share a stored picture; split the pictures into train,
validation (early stopping) and holdout; fit the `ImageNet` (`candidates.images.distill`); log params,
the loss curve, the holdout cosine and the model to MLflow; write the version to
`{home}/models/image_encoder/{version}/` and register it as `pixelrank-image-encoder`: champion only
if its holdout cosine beats the champion's on the same holdout. A new champion then embeds every media
row (`Media.embedding`), which the next two-tower training reads as the post tower's image input; the
relay embeds each later upload.
"""

from __future__ import annotations

import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import torch
from sqlalchemy import select
from sqlalchemy.engine import Engine

from candidates.images.distill import DistillConfig, fit, mean_cosine
from candidates.images.encoder import ImageEncoderConfig, load_cnn_network, load_encoder, save_cnn
from candidates.images.media import embed_media, pixels_key, read
from candidates.images.network import ImageNet, ImageNetConfig
from candidates.images.pixels import pixel_batch
from candidates.two_tower.embed import embed_posts
from candidates.two_tower.runtime import latest_version
from candidates.two_tower.store import load_model
from social_core.db import make_engine
from social_core.media import ObjectStore
from social_core.models import Media, PostMedia
from training.datasets.engagement import load_engagement
from training.pyfunc import model_folder
from training.registry import IMAGE_ENCODER, Decision, VersionInfo, download_version, fingerprint, register
from training.tracking import default_tracking_uri, log_folder_model, open_experiment

Tensors = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # pixels, targets, weights


@dataclass(frozen=True)
class ImageEncoderJobConfig:
    home: Path
    database_url: str
    store: ObjectStore
    tracking_uri: str | None = None  # None: sqlite:///{home}/mlflow.db
    experiment: str = "image_encoder"
    version: str | None = None  # None: the UTC start time
    two_tower: Path | None = None  # the version whose post space is the target; None: the newest
    min_engagements: int = 3
    holdout_fraction: float = 0.2
    validation_fraction: float = 0.15
    network: ImageNetConfig = field(default_factory=ImageNetConfig)
    distill: DistillConfig = field(default_factory=DistillConfig)
    register: bool = True
    embed_media: bool = True  # a new champion embeds every media row


@dataclass
class ImageEncoderJobResult:
    version: str
    folder: Path
    run_id: str
    holdout_cosine: float
    baseline_cosine: float  # every picture mapped to the mean target: what the pixels add is the gap
    pictures: int
    decision: Decision | None = None
    embedded: int = 0  # media rows embedded by the new champion


@dataclass
class Pictures:
    keys: list[str]  # the stored `small` variant of each distinct picture
    images: list[bytes]
    targets: np.ndarray  # (n, dim) unit rows: the mean learned embedding of the warm posts showing it
    weights: np.ndarray  # (n,) how many warm posts show it


def main(
    config: ImageEncoderJobConfig, on_epoch: Callable[[int, dict[str, float]], None] | None = None
) -> ImageEncoderJobResult:
    version = config.version or datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = config.home / "models" / "image_encoder" / version
    two_tower = config.two_tower or latest_version(config.home)
    if two_tower is None:
        raise ValueError("no two-tower version to distil from: train the two-tower first")
    engine = make_engine(config.database_url)
    try:
        pictures = warm_pictures(engine, two_tower, config.store, config.min_engagements)
    finally:
        engine.dispose()
    if len(pictures.keys) < 4:
        raise ValueError(f"{len(pictures.keys)} pictures of warm posts: too few to train an image encoder")
    rows = split_rows(len(pictures.keys), config.validation_fraction, config.holdout_fraction, config.distill.seed)
    train, validation, holdout = (tensors(pictures, part, config.network.side) for part in rows)
    baseline = mean_baseline(train[1], holdout)

    tracking_uri = config.tracking_uri or default_tracking_uri(config.home)
    open_experiment(tracking_uri, config.experiment)
    with mlflow.start_run(run_name=version) as run:
        mlflow.log_params(flat_params(config, version, two_tower, len(train[0]), len(validation[0]), len(holdout[0])))
        torch.manual_seed(config.distill.seed)
        network = ImageNet(config.network)

        def log_epoch(epoch: int, metrics: dict[str, float]) -> None:
            mlflow.log_metrics(metrics, step=epoch)
            if on_epoch is not None:
                on_epoch(epoch, metrics)

        result = fit(network, train, validation, config.distill, log_epoch)
        holdout_cosine = mean_cosine(network, *holdout)
        mlflow.log_metrics(
            {"holdout_cosine": holdout_cosine, "baseline_cosine": baseline, "best_epoch": result.best_epoch}
        )
        save_cnn(network, folder)
        example = pd.DataFrame({"image": pictures.images[:2]})
        log_folder_model(
            folder,
            loader="candidates.images.encoder:load_pyfunc",
            input_example=example,
            feature_service=None,
            input_kind="records",
        )
    outcome = ImageEncoderJobResult(version, folder, run.info.run_id, holdout_cosine, baseline, len(pictures.keys))
    if config.register:
        holdout_id = fingerprint(np.array([pictures.keys[i] for i in rows[2]]), holdout[1].numpy())
        client = mlflow.MlflowClient(tracking_uri)
        outcome.decision = register(
            run.info.run_id,
            IMAGE_ENCODER,
            "holdout_cosine",
            holdout_id,
            client=client,
            remeasure_champion=champion_cosine(tracking_uri, holdout),
        )
    if config.embed_media and (outcome.decision is None or outcome.decision.promoted):
        outcome.embedded = embed_all(config.database_url, folder, config.store)
    return outcome


def warm_pictures(engine: Engine, two_tower: Path, store: ObjectStore, min_engagements: int) -> Pictures:
    """The distillation set: each stored picture of a warm post, with the mean learned embedding of its posts."""
    model = load_model(two_tower)
    c = model.config
    data = load_engagement(engine, c.history, False, c.max_tokens, c.post_stats, (c.image_model, c.image_dim))
    engaged = np.bincount(data.examples.post_rows, minlength=len(data.table))
    warm = np.flatnonzero(engaged >= min_engagements)
    vectors = embed_posts(model, data.table)[warm]
    vectors -= vectors.mean(axis=0)  # what sets a post apart: the direction all posts share says nothing of its look
    with engine.connect() as conn:
        media = conn.execute(
            select(PostMedia.post_id, Media.variants)
            .join(Media, Media.id == PostMedia.media_id)
            .where(PostMedia.position == 0, PostMedia.post_id.in_(data.table.post_ids[warm].tolist()))
        ).all()
    key_of = {int(post): pixels_key(variants or []) for post, variants in media}
    rows_by_key: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(warm.tolist()):
        key = key_of.get(int(data.table.post_ids[row]))
        if key is not None:
            rows_by_key[key].append(i)
    keys, images, targets, weights = [], [], [], []
    for key in sorted(rows_by_key):
        image = read(store, key)
        if image is None:
            continue
        mean = vectors[rows_by_key[key]].mean(axis=0)
        keys.append(key)
        images.append(image)
        targets.append(mean / max(float(np.linalg.norm(mean)), 1e-9))
        weights.append(float(len(rows_by_key[key])))
    dim = model.config.dim
    return Pictures(
        keys, images, np.array(targets, dtype=np.float32).reshape(-1, dim), np.array(weights, dtype=np.float32)
    )


def split_rows(n: int, validation_fraction: float, holdout_fraction: float, seed: int) -> list[np.ndarray]:
    """Row numbers of the train, validation and holdout pictures (a seeded shuffle: the same pictures, the
    same split); validation and holdout get one picture at least."""
    order = np.random.default_rng(seed).permutation(n)
    holdout = max(1, round(n * holdout_fraction))
    validation = holdout + max(1, round(n * validation_fraction))
    return [np.sort(order[validation:]), np.sort(order[holdout:validation]), np.sort(order[:holdout])]


def tensors(pictures: Pictures, rows: np.ndarray, side: int) -> Tensors:
    images = [pictures.images[i] for i in rows]
    return pixel_batch(images, side), torch.from_numpy(pictures.targets[rows]), torch.from_numpy(pictures.weights[rows])


def mean_baseline(train_targets: torch.Tensor, holdout: Tensors) -> float:
    """The holdout cosine of mapping every picture to the mean train target."""
    direction = torch.nn.functional.normalize(train_targets.mean(dim=0), dim=0)
    _, targets, weights = holdout
    return float(((targets @ direction) * weights).sum() / weights.sum().clamp(min=1e-9))


def champion_cosine(tracking_uri: str, holdout: Tensors) -> Callable[[VersionInfo], float]:
    """Measures a champion trained on other pictures or another post space on this run's holdout."""

    def measure(champion: VersionInfo) -> float:
        with tempfile.TemporaryDirectory() as scratch:
            local = download_version(mlflow.MlflowClient(tracking_uri), champion.name, champion.version, Path(scratch))
            network = load_cnn_network(model_folder(local))
        if network.config.dim != holdout[1].shape[1]:
            raise ValueError(f"champion v{champion.version} embeds into {network.config.dim} dimensions")
        pixels = torch.nn.functional.interpolate(holdout[0], size=network.config.side)  # its own input size
        return mean_cosine(network, pixels, *holdout[1:])

    return measure


def embed_all(database_url: str, folder: Path, store: ObjectStore) -> int:
    """Every media row embedded by the encoder in `folder`, in one transaction."""
    encoder = load_encoder(ImageEncoderConfig(type="cnn", path=folder))
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            ids = [int(i) for i in conn.scalars(select(Media.id).where(Media.deleted_at.is_(None)).order_by(Media.id))]
            return embed_media(conn, ids, encoder, store)
    finally:
        engine.dispose()


def flat_params(config: ImageEncoderJobConfig, version: str, two_tower: Path, *sizes: int) -> dict[str, object]:
    params: dict[str, object] = {"version": version, "two_tower": two_tower.name}
    params |= dict(zip(("train_pictures", "validation_pictures", "holdout_pictures"), sizes, strict=True))
    for key in ("min_engagements", "validation_fraction", "holdout_fraction"):
        params[key] = getattr(config, key)
    for prefix, part in (("network", config.network), ("distill", config.distill)):
        params |= {f"{prefix}.{key}": value for key, value in asdict(part).items()}
    return params

"""Train a feed ranker (LightGBM heads or the torch multi-task net) and log the run to MLflow.

Reads top to bottom: build the batch features from the outbox (or reuse them), join the training set
point in time, add each impression's request and position, split by time into train / validation
(early stopping) / test requests, train the chosen family, evaluate it on the test requests, log
params, metrics, calibration, importance and the model folder to MLflow (tag `feature_service`), and
write the model to `{home}/models/ranker/{version}/`, loadable by `ranking.models.load_ranker` (logged
as the run's pyfunc model `model`). The registry's champion gate compares runs on `test_ndcg_at_10`,
measured on the holdout named by the run's `holdout_id` tag (a hash of the test impressions).
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import mlflow
import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from features.batch.pipeline import BatchConfig, build_features
from features.repo.views import parquet_path
from features.schema import VIEWS, service_columns
from features.store import FeatureStoreConfig, apply, open_store
from features.training_set import TrainingSetConfig, build_training_set
from ranking.model import RankerModel
from ranking.models import load_ranker
from social_core.db import make_engine
from training.figures import feature_importance_figure
from training.off_policy.evaluate import OPEConfig
from training.off_policy.logs import ExploredLogs, load_explored
from training.pyfunc import model_folder
from training.ranker.dataset import LabelConfig, RankerData, RankerDataError, SplitConfig, ranker_data
from training.ranker.evaluation import EvalConfig, evaluate
from training.ranker.impressions import impression_context, with_context
from training.ranker.lightgbm_job import LightGBMConfig, fit_lightgbm
from training.ranker.mlflow_log import calibration_tables, flat_params, reliability_figure
from training.ranker.off_policy import OffPolicyReport, off_policy_report
from training.ranker.progress import Progress, no_progress
from training.ranker.torch_job import TorchConfig, fit_torch
from training.registry import RANKER, Decision, VersionInfo, champion_of, download_version, register
from training.tracking import default_tracking_uri, log_folder_model, open_experiment

FAMILIES = ("lightgbm", "torch")
HEADLINE = "test_ndcg_at_10"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RankerJobConfig:
    home: Path
    database_url: str
    redis_url: str | None = None  # the feature store's online store, as `pixelrank features` sets it up
    tracking_uri: str | None = None  # None: a SQLite store, {home}/mlflow.db
    experiment: str = "ranker"
    model: str = "lightgbm"  # one of FAMILIES
    version: str | None = None  # None: the UTC start time, e.g. 20260110T120000
    build_features: bool = True  # recompute the batch features first (else reuse the built ones)
    training_set: TrainingSetConfig = field(default_factory=TrainingSetConfig)
    labels: LabelConfig = field(default_factory=LabelConfig)
    split: SplitConfig = field(default_factory=SplitConfig)
    lightgbm: LightGBMConfig = field(default_factory=LightGBMConfig)
    torch: TorchConfig = field(default_factory=TorchConfig)
    evaluation: EvalConfig = field(default_factory=EvalConfig)
    off_policy: OPEConfig = field(default_factory=OPEConfig)
    register: bool = True  # register the model and gate it against the champion
    registered_model: str = RANKER


@dataclass
class RankerJobResult:
    version: str
    model: str
    folder: Path
    run_id: str
    heads: tuple[str, ...]
    metrics: dict[str, float]  # as logged: test_auc_like, test_ndcg_at_10, ...
    ndcg_at_10: float | None  # the holdout metric the champion gate compares (None: nothing relevant in test)
    holdout_id: str  # which test impressions it was measured on
    sizes: dict[str, int]
    importance: dict[str, float]
    decision: Decision | None = None  # the champion gate's verdict (None: not registered)
    off_policy: OffPolicyReport | None = None  # estimates on explored requests not trained on (None: too few)


class SavableRanker(RankerModel, Protocol):
    def save(self, folder: Path) -> None: ...


@dataclass
class Trained:
    model: SavableRanker
    metrics: dict[str, float] = field(default_factory=dict)
    artifacts: dict[str, Any] = field(default_factory=dict)  # name.json → JSON-able content


def main(config: RankerJobConfig, progress: Progress = no_progress) -> RankerJobResult:
    if config.model not in FAMILIES:
        raise ValueError(f"unknown ranker family {config.model!r} (choose one of {', '.join(FAMILIES)})")
    version = config.version or datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    folder = config.home / "models" / "ranker" / version
    if folder.exists():
        raise RankerDataError(f"{folder} already exists: choose another version")
    engine = make_engine(config.database_url)
    try:
        frame = load_training_set(engine, config, progress)
        data = ranker_data(frame, service_columns(config.training_set.service), config.labels, config.split)
        unseen = np.concatenate((data.validation.impression_ids, data.test.impression_ids))  # not trained on
        explored = load_explored(engine, data.feature_names, impression_ids=unseen)
    finally:
        engine.dispose()

    open_experiment(config.tracking_uri or default_tracking_uri(config.home), config.experiment)
    with mlflow.start_run(run_name=f"{config.model}-{version}") as run:
        mlflow.set_tags({"model_family": config.model, "holdout_id": data.test.fingerprint, "headline": HEADLINE})
        mlflow.log_params(run_params(config, version, data))
        trained = TRAINERS[config.model](config, data, version, progress)
        evaluation = evaluate(trained.model, data.test, config.evaluation)
        metrics = {f"test_{name}": value for name, value in evaluation.metrics.items()}
        mlflow.log_metrics(metrics | trained.metrics)
        mlflow.log_dict(calibration_tables(evaluation.calibration), "calibration.json")
        mlflow.log_dict(evaluation.importance, "feature_importance.json")
        importance = feature_importance_figure(list(evaluation.importance), list(evaluation.importance.values()))
        mlflow.log_figure(importance, "feature_importance.png")
        for name, content in trained.artifacts.items():
            mlflow.log_dict(content, name)
        mlflow.log_figure(reliability_figure(evaluation.calibration, f"{config.model} {version}"), "reliability.png")
        client = mlflow.MlflowClient(config.tracking_uri or default_tracking_uri(config.home))
        champion = champion_model(client, config.registered_model) if config.register else None
        champion_ranker = champion[1] if champion is not None else None
        off_policy = off_policy_report(explored, trained.model, champion_ranker, config.home, config.off_policy)
        if off_policy is not None:
            mlflow.log_metrics(off_policy.metrics())
            mlflow.log_figure(off_policy.figure(f"off-policy estimates, {config.model} {version}"), "off_policy.png")
        write_atomically(trained.model, folder)
        example = pd.DataFrame(data.test.features[:5], columns=list(data.feature_names))
        log_folder_model(
            folder,
            loader="ranking.models:load_ranker",
            input_example=example,
            feature_service=config.training_set.service,
        )
    decision = None
    if config.register and evaluation.ndcg is not None:
        remeasure = champion_ndcg(client, data, config.evaluation, champion)
        decision = register(
            run.info.run_id,
            config.registered_model,
            HEADLINE,
            data.test.fingerprint,
            client=client,
            remeasure_champion=remeasure,
            second_opinion=lambda: off_policy.verdict() if off_policy is not None else (True, no_verdict(explored)),
        )
    return RankerJobResult(
        version,
        config.model,
        folder,
        run.info.run_id,
        trained.model.heads,
        metrics,
        evaluation.ndcg,
        data.test.fingerprint,
        data.sizes(),
        evaluation.importance,
        decision,
        off_policy,
    )


def no_verdict(explored: ExploredLogs) -> str:
    return f"no off-policy verdict: only {len(explored)} explored requests it was not trained on"


def champion_model(client: mlflow.MlflowClient, name: str) -> tuple[str, RankerModel] | None:
    """The registered champion's version and model (None: none yet, or it does not load here)."""
    champion = champion_of(client, name)
    if champion is None:
        return None
    try:
        return champion.version, load_version(client, name, champion.version)
    except Exception:  # a champion of other feature columns, or unreadable: no off-policy comparison
        log.warning(
            "could not load the %s champion v%s for off-policy evaluation", name, champion.version, exc_info=True
        )
        return None


def load_version(client: mlflow.MlflowClient, name: str, version: str) -> RankerModel:
    """A registered ranker version, loaded from a scratch copy of its artifacts."""
    with tempfile.TemporaryDirectory() as scratch:
        return load_ranker(model_folder(download_version(client, name, version, Path(scratch))))


def champion_ndcg(
    client: mlflow.MlflowClient, data: RankerData, config: EvalConfig, loaded: tuple[str, RankerModel] | None
) -> Callable[[VersionInfo], float]:
    """Measures a champion trained on older data on this run's test requests, so the gate compares like
    with like (a champion reading other feature columns fails to load: it then stays champion, safely).
    `loaded` is the champion the run already loaded, used when it is still the one to measure."""

    def measure(champion: VersionInfo) -> float:
        if loaded is not None and loaded[0] == champion.version:
            model = loaded[1]
        else:
            model = load_version(client, champion.name, champion.version)
        ndcg = evaluate(model, data.test, config).ndcg
        if ndcg is None:
            raise ValueError("no relevant impression in the holdout")
        return ndcg

    return measure


def load_training_set(engine: Engine, config: RankerJobConfig, progress: Progress) -> pd.DataFrame:
    """Labelled impressions with point-in-time features and their request context."""
    store_config = FeatureStoreConfig(home=config.home, redis_url=config.redis_url)
    store = open_store(store_config)
    progress("features", 0, 3)
    if config.build_features:
        build_features(engine, BatchConfig(store_config.data_dir))
        apply(store, store_config)
    elif not all(parquet_path(store_config.data_dir, view).is_file() for view in VIEWS):
        raise RankerDataError(f"no batch features in {store_config.data_dir}: run `pixelrank features build` first")
    progress("features", 1, 3)
    frame = build_training_set(store, engine, config.training_set)
    progress("features", 2, 3)
    frame = with_context(frame, impression_context(engine, frame["impression_id"].to_numpy()))
    progress("features", 3, 3)
    return frame


def run_params(config: RankerJobConfig, version: str, data: RankerData) -> dict[str, Any]:
    family = {"lightgbm": config.lightgbm, "torch": config.torch}[config.model]
    parts: dict[str, Any] = {"version": version, "model": config.model, "features": len(data.feature_names)}
    parts |= {"training_set": config.training_set, "labels": config.labels, "split": config.split}
    parts |= {config.model: family, "evaluation.k": config.evaluation.k}
    positives = {f"train_positives_{head}": int(v.sum()) for head, v in data.train.labels.items()}
    return flat_params(parts) | data.sizes() | positives


def train_lightgbm(config: RankerJobConfig, data: RankerData, version: str, progress: Progress) -> Trained:
    ranker = fit_lightgbm(data, config.lightgbm, version, progress)
    boosters = dict(ranker.boosters) | ({"lambdarank": ranker.lambdarank} if ranker.lambdarank else {})
    metrics = {f"best_iteration_{name}": float(booster.best_iteration) for name, booster in boosters.items()}
    gains = {
        name: dict(zip(data.feature_names, booster.feature_importance("gain").tolist(), strict=True))
        for name, booster in boosters.items()
    }
    return Trained(ranker, metrics, {"gain_importance.json": gains})


def train_torch(config: RankerJobConfig, data: RankerData, version: str, progress: Progress) -> Trained:
    fit = fit_torch(data, config.torch, version, progress)
    for epoch, (loss, validation) in enumerate(zip(fit.losses, fit.validation_losses, strict=True)):
        mlflow.log_metrics({"train_loss": loss, "validation_loss": validation}, step=epoch)
    return Trained(fit.ranker, {"best_epoch": float(fit.best_epoch)})


TRAINERS = {"lightgbm": train_lightgbm, "torch": train_torch}


def write_atomically(model: SavableRanker, folder: Path) -> None:
    """Save into a sibling `.partial` folder, then rename: a crash never leaves a half-written model."""
    partial = folder.with_name(folder.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    model.save(partial)
    partial.rename(folder)

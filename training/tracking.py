"""Open an MLflow tracking store and log what every training run logs: figures and a folder model.

The embedded default is a SQLite store under `PIXELRANK_HOME`; production passes a tracking server URL.
On a SQLite store MLflow would put artifacts in `./mlruns` under whatever directory the job runs in,
so `open_experiment` places them next to the database file instead (`{home}/mlartifacts/`).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Mapping
from pathlib import Path

import mlflow
import pandas as pd
from matplotlib.figure import Figure
from mlflow.exceptions import MlflowException
from mlflow.models import infer_signature

from training.pyfunc import ARTIFACT, FolderModel, InputKind, import_loader, predict_frame

FEATURE_SERVICE_TAG = "feature_service"
SQLITE = "sqlite:///"


def default_tracking_uri(home: Path) -> str:
    return f"{SQLITE}{(home / 'mlflow.db').resolve()}"


def local_artifact_root(tracking_uri: str) -> Path | None:
    """Where a SQLite store keeps artifacts (beside the database); None for a server, which decides."""
    if not tracking_uri.startswith(SQLITE):
        return None
    return Path(tracking_uri.removeprefix(SQLITE)).parent / "mlartifacts"


def open_experiment(tracking_uri: str, experiment: str) -> str:
    """Point MLflow's fluent API (`mlflow.start_run`, `mlflow.log_*`) at the store and experiment; its id."""
    root = local_artifact_root(tracking_uri)
    if root is not None:
        root.parent.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(tracking_uri)
    client = mlflow.MlflowClient(tracking_uri)
    found = client.get_experiment_by_name(experiment)
    if found is not None:
        experiment_id = str(found.experiment_id)
    else:
        location = (root / experiment).resolve().as_uri() if root is not None else None
        try:
            experiment_id = client.create_experiment(experiment, artifact_location=location)
        except MlflowException:  # created meanwhile by a concurrent job
            again = client.get_experiment_by_name(experiment)
            if again is None:
                raise
            experiment_id = str(again.experiment_id)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def log_figures(figures: Mapping[str, Figure]) -> None:
    """Each figure as `{name}.png` in the active run."""
    for name, figure in figures.items():
        mlflow.log_figure(figure, f"{name}.png")


def log_folder_model(
    folder: Path,
    *,
    loader: str,
    input_example: pd.DataFrame,
    feature_service: str | None,
    input_kind: InputKind = "matrix",
    name: str = "model",
) -> str:
    """Log the model saved in `folder` to the active run as a pyfunc model; its logged-model id.

    The signature is inferred from `input_example` and the model's own prediction on it (so the folder
    is loaded once here, which also proves it loads). `feature_service` (the Feast feature service the
    model was trained on) becomes a tag of the run and of the logged model: serving must hydrate the
    same one; None for a model that reads no features (the image encoder reads pixels).
    """
    output = predict_frame(import_loader(loader)(folder), input_example, input_kind)
    tags = {FEATURE_SERVICE_TAG: feature_service} if feature_service is not None else {}
    mlflow.set_tags(tags)
    info = mlflow.pyfunc.log_model(
        name=name,
        python_model=FolderModel(loader, input_kind),
        artifacts={ARTIFACT: str(folder)},
        signature=infer_signature(input_example, output),
        input_example=input_example,
        pip_requirements=[f"pixelrank=={importlib.metadata.version('pixelrank')}"],
        tags=tags,
    )
    return str(info.model_id)

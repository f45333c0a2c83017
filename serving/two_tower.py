"""Which two-tower version this process serves: the registry's `champion`, from its local folder.

The training job writes each version to `{home}/models/two_tower/{version}/` and logs the same files
to MLflow; the local folder is the one the relay keeps current (new posts into its index), so it is
served, and the registry only says which version. Without a registry (or a champion) the newest
complete folder serves, as before the first registration. The version is chosen at start-up; a new
champion serves from the next restart (the ranker, by contrast, is swapped live: `serving/feed/ranker.py`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sqlalchemy.engine import Engine

from candidates.two_tower.runtime import TwoTowerRuntime, is_complete, latest_version
from serving.settings import Settings
from training.registry import CHAMPION, TWO_TOWER

log = logging.getLogger(__name__)


def served_two_tower(settings: Settings, engine: Engine, name: str = TWO_TOWER) -> TwoTowerRuntime | None:
    folder = champion_folder(settings, name) or latest_version(settings.home)
    if folder is None:
        return None
    runtime = TwoTowerRuntime.load(folder)
    with engine.connect() as conn:
        added = runtime.catch_up(conn)
    log.info("serving two-tower %s (%d posts indexed since it was trained)", runtime.version, added)
    return runtime


def champion_folder(settings: Settings, name: str = TWO_TOWER) -> Path | None:
    if settings.mlflow_tracking_uri is None and not (settings.home / "mlflow.db").exists():
        return None  # nothing was ever registered: do not create an MLflow store just to ask
    try:
        client = MlflowClient(settings.tracking_uri)
        champion = client.get_model_version_by_alias(name, CHAMPION)
        version = client.get_run(str(champion.run_id)).data.params.get("version")
    except MlflowException:
        return None
    folder = settings.home / "models" / "two_tower" / str(version)
    if version is None or not is_complete(folder):
        log.warning("the two-tower champion %s has no local folder %s: serving the newest one", version, folder)
        return None
    return folder

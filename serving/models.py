"""Serving follows the registry: `ChampionModel` holds the model behind `models:/{name}@champion`.

A background thread (`serving.watch.Watcher`) rechecks the alias every `refresh_s` seconds; when it has
moved, the new version is downloaded and loaded *beside* the old one and then swapped in with one
reference assignment (atomic in Python). Callers take `current()` once per request and use that object
to the end, so an in-flight request finishes on the model it started with, and no request ever sees a
half-loaded model. With no version registered (or the first load failing) `current()` is None and the
pipeline falls back to its heuristic scorer; a failing reload keeps the model already serving.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Generic, TypeVar

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from serving.watch import Watcher
from training.pyfunc import model_folder
from training.registry import CHAMPION, download_version, is_missing

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchConfig:
    tracking_uri: str
    name: str  # a registered model, e.g. training.registry.RANKER
    cache_dir: Path  # downloaded versions live in {cache_dir}/{name}/{version}
    alias: str = CHAMPION
    refresh_s: float = 30.0


@dataclass(frozen=True)
class Loaded(Generic[T]):
    """A loaded model and the registry version it came from (responses say which model served them)."""

    name: str
    version: str
    model: T


class ChampionModel(Watcher, Generic[T]):
    def __init__(self, config: WatchConfig, loader: Callable[[Path, str], T]) -> None:
        """`loader(folder, label)` loads a model folder; label: "{name}/{version}" (fits `load_ranker`)."""
        super().__init__(f"{config.name}@{config.alias}", config.refresh_s)
        self.config = config
        self.loader = loader
        self.client = MlflowClient(config.tracking_uri, registry_uri=config.tracking_uri)
        self._current: Loaded[T] | None = None

    def current(self) -> Loaded[T] | None:
        """The model to use for one whole request (read once; keep the object, not this watcher)."""
        return self._current

    def follow(self) -> bool:
        """Load and swap in the alias's version if it moved. True when it swapped."""
        version = self._aliased_version()
        serving = self._current
        if version is None or (serving is not None and serving.version == version):
            return False
        model = self.loader(model_folder(self._download(version)), f"{self.config.name}/{version}")
        self._current = Loaded(self.config.name, version, model)
        log.info("serving %s version %s (was %s)", self.config.name, version, serving and serving.version)
        return True

    def _aliased_version(self) -> str | None:
        try:
            return str(self.client.get_model_version_by_alias(self.config.name, self.config.alias).version)
        except MlflowException as error:
            if is_missing(error):
                return None  # nothing registered under that name or alias (yet)
            raise

    def _download(self, version: str) -> Path:
        """The version's files under the cache, downloaded once; written aside, then renamed into place."""
        target = self.config.cache_dir / self.config.name / version
        if target.exists():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{version}-", dir=target.parent))
        try:
            download_version(self.client, self.config.name, version, staging).rename(target)
        except OSError:
            if not target.exists():  # not a concurrent download that won the rename
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return target

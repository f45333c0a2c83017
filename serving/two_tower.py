"""Which two-tower version this process serves: the registry's `champion`, from its local folder, followed live.

The training job writes each version to `{home}/models/two_tower/{version}/` and logs the same files
to MLflow; the local folder is the one the relay keeps current (new posts into its index), so it is
served, and the registry only says which version (nothing is downloaded). Without a registry (or a
champion) the newest complete folder serves, as before the first registration.

`served_two_tower` picks the version at start-up; `TwoTowerChampion` then rechecks every
`model_refresh_s` and, when the alias moved (or a first version appeared), loads the new version beside
the old one, catches its index up from the database and swaps it in, like the ranker's `ChampionModel`.
What serves keeps serving while a new version loads, and when it fails to load.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException
from sqlalchemy.engine import Engine

from candidates.two_tower.runtime import TwoTowerRuntime, is_complete, latest_version
from serving.settings import Settings
from serving.watch import Watcher
from training.registry import CHAMPION, TWO_TOWER, is_missing

log = logging.getLogger(__name__)


def served_two_tower(settings: Settings, engine: Engine, name: str = TWO_TOWER) -> TwoTowerRuntime | None:
    """The version to start serving, caught up (None before the first training). A registry that fails
    to answer falls back to the newest folder here, rather than starting without a two-tower."""
    try:
        folder = served_folder(settings, name)
    except MlflowException:
        log.warning("the model registry did not answer: serving the newest two-tower folder", exc_info=True)
        folder = latest_version(settings.home)
    if folder is None:
        return None
    runtime = TwoTowerRuntime.load(folder)
    added = catch_up(runtime, engine)
    log.info("serving two-tower %s (%d posts indexed since it was trained)", runtime.version, added)
    return runtime


def served_folder(settings: Settings, name: str = TWO_TOWER, client: MlflowClient | None = None) -> Path | None:
    """The champion's folder, else the newest complete one; raises MlflowException when the registry fails."""
    return champion_folder(settings, name, client) or latest_version(settings.home)


def champion_folder(
    settings: Settings,
    name: str = TWO_TOWER,
    client: MlflowClient | None = None,
    models: str = "two_tower",
    complete: Callable[[Path], bool] = is_complete,
) -> Path | None:
    """The local folder of `name@champion` (under `{home}/models/{models}/`); None when nothing is registered
    or the folder is not here."""
    if not has_registry(settings):
        return None
    client = client or MlflowClient(settings.tracking_uri, registry_uri=settings.tracking_uri)
    try:
        champion = client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException as error:
        if is_missing(error):
            return None
        raise
    version = client.get_run(str(champion.run_id)).data.params.get("version")
    folder = settings.home / "models" / models / str(version)
    if version is None or not complete(folder):
        log.warning("the %s champion %s has no local folder %s", name, version, folder)
        return None
    return folder


def has_registry(settings: Settings) -> bool:
    """A tracking server, or an embedded store something was registered in: the embedded one is not
    created just to ask (creating it takes seconds, and a process without models needs none)."""
    return settings.mlflow_tracking_uri is not None or (settings.home / "mlflow.db").exists()


def catch_up(runtime: TwoTowerRuntime, engine: Engine) -> int:
    with engine.connect() as conn:
        return runtime.catch_up(conn)


class TwoTowerChampion(Watcher):
    """The two-tower version serving now (`current()`), following the champion while the process runs.

    `on_swap(runtime)` is called with each new version, caught up, just before it becomes `current()`:
    the feed rebuilds its retrieval around it there (`serving.feed.retrieval.LiveRetrieval.use`), and
    the relay's `PostIndexer`, which asks `current()` per batch, writes into it from then on. Posts the
    relay put into the old index while the new one was being swapped in are caught up right after.
    """

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        serving: TwoTowerRuntime | None,
        *,
        on_swap: Callable[[TwoTowerRuntime], None] | None = None,
        name: str = TWO_TOWER,
    ) -> None:
        super().__init__(f"{name}@{CHAMPION}", settings.model_refresh_s)
        self.settings, self.engine, self.name = settings, engine, name
        self.on_swap = on_swap or (lambda _runtime: None)
        self._current = serving
        self._client: MlflowClient | None = None
        self._starting = threading.Lock()

    def current(self) -> TwoTowerRuntime | None:
        return self._current

    def watch(self) -> None:
        """Start following the champion, once. The first ranked request calls it, not the app: a process
        that never serves a feed (or a test) never opens the registry. The first check runs in the
        watcher's thread: the request goes on with the version already serving."""
        with self._starting:
            if not self.watching:
                self.start(wait=False)

    def follow(self) -> bool:
        """Swap in the champion if it moved (True); otherwise catch the serving index up on posts created
        since the last check, which matters when the relay is `pixelrank worker` in another process:
        its index is that process's, and new posts would otherwise reach this one only at a swap."""
        folder = served_folder(self.settings, self.name, self._registry())
        serving = self._current
        if folder is None or (serving is not None and serving.version == folder.name):
            if serving is not None:
                catch_up(serving, self.engine)
            return False
        runtime = TwoTowerRuntime.load(folder)  # beside the one serving, which serves meanwhile
        added = catch_up(runtime, self.engine)
        self.on_swap(runtime)
        self._current = runtime
        added += catch_up(runtime, self.engine)
        was = serving.version if serving is not None else None
        log.info("serving two-tower %s (was %s; %d posts indexed since training)", runtime.version, was, added)
        return True

    def _registry(self) -> MlflowClient | None:
        """One client for the process's life, once there is a registry to ask (None: not yet)."""
        if self._client is None and has_registry(self.settings):
            uri = self.settings.tracking_uri
            self._client = MlflowClient(uri, registry_uri=uri)
        return self._client

"""The world a notebook works in: a folder of its own, made anew on each run, on the embedded stores.

Every notebook starts with `settings = scratch_world("NAME")`: SQLite, the SQLite online store, fake
Redis and an MLflow SQLite file, all under that folder, so a notebook never touches the database,
Redis or MLflow that DATABASE_URL, REDIS_URL or MLFLOW_TRACKING_URI name.
"""

from __future__ import annotations

import logging
import os
import shutil
import warnings
from pathlib import Path

from serving.settings import Settings
from social_core import migrate
from social_core.db import make_engine

# Where the worlds go: notebooks/run.py points this under PIXELRANK_HOME/notebooks/; opened in JupyterLab
# (whose working folder is notebooks/), under the repository's var/.
WORLDS = "PIXELRANK_NOTEBOOK_WORLDS"
SERVICES = ("DATABASE_URL", "PIXELRANK_DATABASE_URL", "REDIS_URL", "PIXELRANK_REDIS_URL")
TRACKING = ("MLFLOW_TRACKING_URI", "PIXELRANK_MLFLOW_TRACKING_URI")


# The libraries' chatter around the results: MLflow's hints for every model it logs, a SQLAlchemy
# deprecation inside MLflow's store, Feast's "experimental" note, progress bars asking for widgets.
QUIET = ("IProgress not found", "The ``noload`` loader strategy", "On demand feature view", "Hint: Inferred schema")


def quiet_libraries() -> None:
    """MLflow's INFO lines and the warnings of QUIET off. Feast and MLflow put filters of their own first
    as they are imported: imported here, before ours."""
    warnings.filterwarnings("ignore", message=QUIET[0])  # tqdm warns as MLflow is imported
    import feast  # noqa: F401
    import mlflow  # noqa: F401

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    for message in (*QUIET, "install "):
        warnings.filterwarnings("ignore", message=message)


def scratch_world(name: str) -> Settings:
    """An empty, migrated world in WORLDS/NAME; the settings every package function here reads."""
    quiet_libraries()
    home = Path(os.environ.get(WORLDS, "../var/notebooks/worlds")).resolve() / name
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    for variable in (*SERVICES, *TRACKING):
        os.environ.pop(variable, None)
    os.environ["PIXELRANK_HOME"] = str(home)
    os.environ["FEAST_USAGE"] = "False"
    os.environ["MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR"] = "false"
    settings = Settings()
    migrate.upgrade(make_engine(settings.db_url))
    return settings


def with_history(users: int, days: int, sessions: int, oracle_sessions: int = 0) -> None:
    """The steps `pixelrank demo` takes before training, as its own CLI commands: seed a world, simulate
    `sessions` chronological feed sessions, relay the outbox once, `feast apply`, the batch feature build."""
    from serving.commands import features, seed, simulate, worker

    seed.seed(users=users, days=days, seed=0, images=False)
    simulate.simulate(sessions=sessions, policy="chronological", seed=0, page_size=10, oracle_sessions=oracle_sessions)
    worker.worker(once=True)
    features.apply()
    features.build(as_of=None)

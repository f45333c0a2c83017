"""The hidden ground truth of a seeded world, kept in a file beside the database, never in it.

Only the simulator (the behaviour model, the oracle policy, reports) reads it; anything that plays
the platform's part (features, candidates, rankers) must learn from the tables and events alone.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, cast

import numpy as np

from training.simulation.errors import SimulationError
from training.simulation.world import World, WorldConfig

TRUTH_FILE = Path("simulation") / "truth.npz"


@dataclass
class Truth:
    config: WorldConfig
    user_ids: np.ndarray  # int64 database id of each world user
    post_ids: np.ndarray  # int64 database id of each post, ascending (time-sortable)
    post_author: np.ndarray  # int32 world user index
    post_at: np.ndarray  # float64 epoch seconds
    interests: np.ndarray  # (users, K) float32
    activity: np.ndarray
    author_quality: np.ndarray
    propensity: np.ndarray
    post_topic: np.ndarray
    post_quality: np.ndarray

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_posts(self) -> int:
        return len(self.post_ids)

    @property
    def start(self) -> float:
        return self.config.start.timestamp()

    @property
    def end(self) -> float:
        return self.start + self.config.days * 86_400.0


def truth_of(world: World, user_ids: np.ndarray) -> Truth:
    return Truth(
        config=world.config,
        user_ids=np.asarray(user_ids, dtype=np.int64),
        post_ids=world.post_ids,
        post_author=world.post_author,
        post_at=world.post_at,
        interests=world.interests,
        activity=world.activity,
        author_quality=world.author_quality,
        propensity=world.propensity,
        post_topic=world.post_topic,
        post_quality=world.post_quality,
    )


def truth_path(home: Path) -> Path:
    return Path(home) / TRUTH_FILE


def save_truth(home: Path, truth: Truth) -> Path:
    path = truth_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    config = asdict(truth.config) | {"start": truth.config.start.isoformat()}
    arrays = {name: value for name, value in vars(truth).items() if isinstance(value, np.ndarray)}
    tmp = path.with_suffix(".tmp.npz")
    arrays["config"] = np.array(json.dumps(config))
    np.savez_compressed(tmp, **cast(dict[str, Any], arrays))
    tmp.replace(path)
    return path


def load_truth(home: Path) -> Truth:
    path = truth_path(home)
    if not path.exists():
        raise SimulationError(f"no simulated world under {home} (missing {path}): run `pixelrank seed` first")
    with np.load(path, allow_pickle=False) as data:
        config = json.loads(str(data["config"]))
        config["start"] = datetime.fromisoformat(config["start"])
        arrays = {name: data[name] for name in data.files if name != "config"}
    return Truth(config=WorldConfig(**config), **arrays)

"""`seed_world`: generate a world, write it through the social core in one transaction, keep its truth."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import Engine

from social_core import accounts
from social_core.models import User
from training.simulation.errors import SimulationError
from training.simulation.images import ImageConfig, build_library
from training.simulation.progress import Progress, no_progress
from training.simulation.truth import load_truth, save_truth, truth_of, truth_path
from training.simulation.world import WorldConfig, generate_world
from training.simulation.writer import write_world


@dataclass(frozen=True)
class SeedReport:
    rows: dict[str, int]  # rows written per table ("users", "follows", "posts", "post_hashtags", "events")
    generate_seconds: float  # the world, and the images when asked for
    write_seconds: float
    truth_path: Path

    @property
    def seconds(self) -> float:
        return self.generate_seconds + self.write_seconds

    @property
    def events(self) -> int:
        return self.rows["events"]


def seed_world(
    engine: Engine,
    home: Path,
    config: WorldConfig,
    progress: Progress = no_progress,
    images: ImageConfig | None = None,
) -> SeedReport:
    """Generate the world for `config` and write it in one transaction; the truth goes to `{home}/simulation/`.

    With `images`, procedural images go through the media pipeline into `images.store` first and
    every post carries one. Refuses a database without the schema, or one that already holds the
    world seeded for `home`.
    """
    _check_database(engine, home)
    started = time.perf_counter()
    world = generate_world(config)
    library = build_library(images, config.topics, progress) if images else None
    generated = time.perf_counter()
    # Simulated users never log in: they all share one hash of a random password nobody knows.
    password_hash = accounts.hasher.hash(secrets.token_urlsafe(32))
    with engine.begin() as conn:
        written = write_world(conn, world, password_hash, progress, library)
    path = save_truth(home, truth_of(world, written.user_ids))
    return SeedReport(written.rows, generated - started, time.perf_counter() - generated, path)


def _check_database(engine: Engine, home: Path) -> None:
    if not inspect(engine).has_table("users"):
        raise SimulationError("the database has no schema: run `pixelrank init` first")
    if not truth_path(home).exists():
        return
    first = int(load_truth(home).user_ids[0])
    with engine.connect() as conn:
        if conn.scalar(select(func.count()).select_from(User).where(User.id == first)):
            raise SimulationError(f"a world is already seeded for {home} in this database: use a fresh home")

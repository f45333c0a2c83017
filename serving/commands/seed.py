"""`pixelrank seed`: generate a synthetic world with hidden ground truth and write it to the database."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from serving.console import RichProgress, fail
from serving.settings import Settings
from social_core import migrate
from social_core.db import make_engine
from social_core.media import make_store
from training.simulation.errors import SimulationError
from training.simulation.images import ImageConfig
from training.simulation.report import seed_table
from training.simulation.seeding import seed_world
from training.simulation.world import WorldConfig


def seed(
    users: Annotated[int, typer.Option(help="Simulated users (at least 1).")] = 10_000,
    days: Annotated[int, typer.Option(help="Days of simulated posting (at least 1).")] = 30,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same world.")] = 0,
    images: Annotated[
        bool,
        typer.Option("--images/--no-images", help="Give every post a procedural image, through the media pipeline."),
    ] = False,
) -> None:
    """Seed users, follows and posts of a synthetic world into the configured database.

    Its hidden truth goes to PIXELRANK_HOME/simulation/, apart from everything the platform reads.
    """
    errors = Console(stderr=True)
    if users < 1 or days < 1:
        fail("--users and --days must be at least 1")
    settings = Settings()
    home = settings.home
    home.mkdir(parents=True, exist_ok=True)
    media = ImageConfig(store=make_store(settings.media_store_config), seed=seed) if images else None
    engine = make_engine(settings.db_url)
    try:
        migrate.upgrade(engine)
        with RichProgress(errors, transient=True) as progress:
            report = seed_world(engine, home, WorldConfig(users=users, days=days, seed=seed), progress, media)
    except (SimulationError, ValueError) as error:
        fail(str(error))
    finally:
        engine.dispose()
    console = Console()
    console.print(seed_table(report))
    console.print(f"hidden truth: {report.truth_path}", soft_wrap=True, markup=False)

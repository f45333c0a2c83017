"""`pixelrank simulate`: simulated users scroll their feeds through a policy and act by the hidden model."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer
from rich.console import Console

from serving.console import RichProgress, fail
from serving.settings import Settings
from serving.simulation_policy import find_ranker, register_model_policy
from social_core.db import make_engine
from training.simulation.errors import SimulationError
from training.simulation.model_policy import ModelPolicyConfig
from training.simulation.policies import PENDING_POLICIES, POLICIES, check_policy
from training.simulation.report import sessions_table
from training.simulation.sessions import SessionConfig, run_sessions

POLICY_NAMES = ", ".join(dict.fromkeys([*POLICIES, *PENDING_POLICIES]))


def simulate(
    sessions: Annotated[int, typer.Option(help="Feed sessions to simulate (at least 1).")] = 10_000,
    policy: Annotated[
        str, typer.Option(help=f"Feed policy: {POLICY_NAMES} (model: the trained ranker's feed pipeline).")
    ] = "chronological",
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same session users and times.")] = 0,
    page_size: Annotated[int, typer.Option(help="Posts served per session.")] = 10,
    oracle_sessions: Annotated[
        int, typer.Option(help="Sessions on which the oracle is evaluated too, for the 'vs oracle' ratio (0: none).")
    ] = 1_000,
    explore: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="model only: share of sessions whose page is an exploration draw, logged with propensities for "
            "off-policy evaluation (PIXELRANK_EXPLORATION_TEMPERATURE and _POOL apply).",
        ),
    ] = 0.0,
) -> None:
    """Play feed sessions against the seeded world, writing impressions and actions as outbox events."""
    errors = Console(stderr=True)
    config = SessionConfig(
        sessions=sessions, policy=policy, seed=seed, page_size=page_size, oracle_sessions=max(oracle_sessions, 0)
    )
    settings = Settings()
    home = settings.home
    engine = make_engine(settings.db_url)
    try:
        if sessions < 1 or page_size < 1:
            raise SimulationError("--sessions and --page-size must be at least 1")
        if explore > 0 and policy != "model":
            raise SimulationError("--explore needs --policy model (the other policies do not explore)")
        if policy == "model":
            pool = max(settings.exploration_pool, page_size)
            exploration = replace(settings.exploration_config, rate=explore, slots=page_size, pool=pool, seed=seed)
            register_model_policy(settings, engine, find_ranker(settings), ModelPolicyConfig(exploration=exploration))
        check_policy(policy)
        with RichProgress(errors, transient=True) as progress:
            report = run_sessions(engine, home, config, progress)
    except SimulationError as error:
        fail(str(error))
    finally:
        engine.dispose()
    Console().print(sessions_table([report]))

"""The world benchmarks/feed.py serves: seeded, simulated, features built and materialized, models trained.

Built through the `pixelrank` CLI itself (simulate, features build/apply/materialize, train all; the seed
is `pixelrank seed`'s own `seed_world`, called to end the world today), in this process (Typer's
`CliRunner`: a fresh process per command spent most of a quick build importing the stack again),
each command with the benchmark's environment: a temporary PIXELRANK_HOME, the SQLite file database
under it, and the Redis database the benchmark owns (online store, feed sets, caches).

Then, in process, the load users: a seeded random sample of users who follow someone, each given
one known password (hashed with cheap argon2 parameters, so that logging thousands of them in through
`accounts.login` takes seconds, not minutes) and a bearer token, and their fan-out feed sets built
in Redis (`FollowingSource.rebuild`), as a long-running deployment has them: a first read would
otherwise rebuild the set from the database inside the measured request.
"""

from __future__ import annotations

import contextlib
import os
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import redis as redis_lib
from argon2 import PasswordHasher
from rich.console import Console
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from candidates.sources.following import FollowingSource
from serving import cli
from social_core import accounts
from social_core.db import make_engine
from social_core.migrate import upgrade
from social_core.models import Follow, Post, User
from training.simulation.seeding import seed_world
from training.simulation.world import WorldConfig

PASSWORD = "feed-benchmark-password"


@dataclass(frozen=True)
class WorldSize:
    users: int
    days: int  # 0.3 posts per user per day: 70 days x 10,000 users ~ 210,000 posts
    sessions: int  # simulated feed sessions: the impressions the ranker learns from
    epochs: int  # two-tower epochs (`train all --epochs`); the LightGBM heads stop early by themselves


QUICK = WorldSize(users=500, days=40, sessions=1_500, epochs=1)
MEDIUM = WorldSize(users=5_000, days=50, sessions=8_000, epochs=1)  # when a full run would not fit the time
FULL = WorldSize(users=10_000, days=70, sessions=20_000, epochs=2)


@dataclass(frozen=True)
class World:
    home: Path
    env: dict[str, str]  # the environment every `pixelrank` command and the server run with
    users: int
    posts: int
    follows: int
    build_seconds: dict[str, float]


def bench_env(home: Path, redis_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIXELRANK_")}
    env.pop("DATABASE_URL", None)  # SQLite under PIXELRANK_HOME, whatever the shell says
    return env | {
        "PIXELRANK_HOME": str(home),
        # Explicit: MLflow's `models:/` downloads otherwise consult the default registry (./mlflow.db).
        "MLFLOW_TRACKING_URI": f"sqlite:///{home.resolve() / 'mlflow.db'}",
        "REDIS_URL": redis_url,
        "FEAST_USAGE": "False",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    }


def build_world(home: Path, redis_url: str, size: WorldSize, console: Console) -> World:
    env = bench_env(home, redis_url)
    seconds = {"seed": _seed(home, size)}
    console.print(f"  seed (in process, the world ending today): {seconds['seed']:.0f} s")
    steps = {
        "simulate": ["simulate", "--sessions", str(size.sessions), "--policy", "popular", "--oracle-sessions", "0"],
        "features build": ["features", "build"],
        "features apply": ["features", "apply"],
        "features materialize": ["features", "materialize"],
        "train all": ["train", "all", "--epochs", str(size.epochs)],
    }
    for name, args in steps.items():
        started = time.perf_counter()
        with console.status(f"pixelrank {' '.join(args)}"), contextlib.chdir(home):  # MLflow's artifacts: ./
            done = CliRunner().invoke(cli.app, args, env=env)
        if done.exit_code != 0:
            detail = "".join(traceback.format_exception(done.exc_info[1])) if done.exc_info else ""
            raise RuntimeError(f"pixelrank {' '.join(args)} failed:\n{done.output[-3000:]}\n{detail[-3000:]}")
        seconds[name] = time.perf_counter() - started
        console.print(f"  {name}: {seconds[name]:.0f} s")
    engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
    with engine.connect() as conn:
        counts = [conn.scalar(select(func.count()).select_from(t)) or 0 for t in (User, Post, Follow)]
    engine.dispose()
    return World(home, env, counts[0], counts[1], counts[2], seconds)


def _seed(home: Path, size: WorldSize) -> float:
    """`pixelrank seed`'s own call, with the world's days ending today: the popular, social-proof and fresh
    sources look back hours to days from the request time, and a world ending months ago leaves them empty."""
    started = time.perf_counter()
    home.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{home / 'pixelrank.db'}")
    upgrade(engine)
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    seed_world(
        engine, home, WorldConfig(users=size.users, days=size.days, seed=0, start=today - timedelta(days=size.days))
    )
    engine.dispose()
    return time.perf_counter() - started


def load_users(world: World, redis_url: str, count: int, seed: int = 0) -> list[tuple[int, str]]:
    """`count` (user id, bearer token) of distinct users who follow someone, their feed sets built."""
    engine = make_engine(f"sqlite:///{world.home / 'pixelrank.db'}")
    with engine.connect() as conn:
        followers = np.array(sorted(conn.scalars(select(Follow.follower_id).distinct())), dtype=np.int64)
    if len(followers) < count:
        raise ValueError(f"the world has {len(followers)} users who follow someone, the load needs {count}")
    chosen = np.random.default_rng(seed).choice(followers, size=count, replace=False).tolist()
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    tokens = []
    with Session(engine) as session:
        session.execute(update(User).where(User.id.in_(chosen)).values(password_hash=cheap))
        session.commit()
        names = {int(u): str(n) for u, n in session.execute(select(User.id, User.username).where(User.id.in_(chosen)))}
        for user_id in chosen:
            tokens.append((int(user_id), accounts.login(session, names[user_id], PASSWORD)))
    client: Any = redis_lib.Redis.from_url(redis_url)
    following = FollowingSource(client, engine)
    for user_id in chosen:
        following.rebuild(int(user_id))
    client.close()
    engine.dispose()
    return tokens

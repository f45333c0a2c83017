"""`pixelrank demo`: everything that has landed, end to end, on the embedded defaults."""

from __future__ import annotations

from typing import Annotated

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serving.commands import features, seed, server, simulate, train, worker
from serving.settings import Settings
from social_core import accounts, graph
from social_core.db import make_engine, make_sessionmaker
from social_core.models import User

DEMO_USER = "demo"
DEMO_PASSWORD = "pixelrank-demo"


def demo(
    users: Annotated[int, typer.Option(min=10, help="Simulated users of the demo world.")] = 300,
    days: Annotated[int, typer.Option(min=1, help="Days of simulated posting.")] = 14,
    sessions: Annotated[int, typer.Option(min=1, help="Simulated feed sessions (training data).")] = 3_000,
    serve: Annotated[bool, typer.Option(help="Serve the API at the end (--no-serve stops after the set-up).")] = True,
) -> None:
    """Migrate, seed a world with images, simulate feed sessions, build features, train and register the
    two-tower, the image encoder, a two-tower reading pictures and the ranker, explore the champion's feed
    and train a ranker gated off-policy too, then serve API + web client."""
    settings = Settings()
    server.init()
    sessions_factory = make_sessionmaker(make_engine(settings.db_url))
    with sessions_factory() as session:
        seeded = bool(session.scalar(select(func.count()).select_from(User)))
    if seeded:
        typer.echo("demo world already present: keeping it (delete PIXELRANK_HOME to start over)")
    else:
        seed.seed(users=users, days=days, seed=0, images=True)
        simulate.simulate(sessions=sessions, policy="chronological", seed=0, page_size=10, oracle_sessions=200)
        worker.worker(once=True)  # history goes to the batch build below, not through the stream path
        features.apply()
        features.build(as_of=None)
        train.all_(model=train.Family.lightgbm, version=None, epochs=5, threads=2)  # registers the champions
        # The image encoder distilled by `all` has embedded every picture: a two-tower that reads them.
        train.two_tower(epochs=5, version=None, impressions=False, threads=2)
        # The champion's feed, explored, logged with propensities; the next ranker is gated on them too (OPE).
        simulate.simulate(sessions=1_000, policy="model", seed=1, page_size=10, oracle_sessions=0, explore=1.0)
        worker.worker(once=True)
        train.ranker(version=None, build_features=True, rounds=None, epochs=None, threads=2, seed=0)
        features.materialize(full=True)
        with sessions_factory() as session:
            _demo_account(session)
    typer.echo(f"log in at http://{settings.host}:{settings.port}/ as {DEMO_USER} / {DEMO_PASSWORD}")
    if serve:
        server.serve(host=None, port=None, workers=None)


def _demo_account(session: Session, follows: int = 40) -> None:
    """A person to log in as, following the world's most-followed accounts that post."""
    me = accounts.signup(session, DEMO_USER, "demo@example.com", DEMO_PASSWORD)
    popular = session.scalars(
        select(User)
        .where(User.id != me.id, User.posts_count > 0)
        .order_by(User.followers_count.desc(), User.id)
        .limit(follows)
    )
    for user in list(popular):
        graph.follow(session, me, user)

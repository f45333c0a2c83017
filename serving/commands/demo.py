"""`pixelrank demo`: everything that has landed, end to end, on the embedded defaults."""

from __future__ import annotations

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from serving.commands import server
from serving.settings import Settings
from social_core import accounts, engagement, graph, posts
from social_core.db import make_engine, make_sessionmaker
from social_core.models import User

DEMO_USERS = ["alice", "bob", "carol", "dave", "erin"]
DEMO_PASSWORD = "pixelrank-demo"


def demo(serve: bool = typer.Option(True, help="Serve the API at the end (--no-serve to stop after seeding).")) -> None:
    """Migrate, seed a small world, then serve the API on the configured host and port."""
    settings = Settings()
    server.init()
    sessions = make_sessionmaker(make_engine(settings.db_url))
    with sessions() as session:
        if session.scalar(select(func.count()).select_from(User)):
            typer.echo("demo data already present: keeping it")
        else:
            _seed(session)
            typer.echo(f"seeded users {', '.join(DEMO_USERS)} (password: {DEMO_PASSWORD})")
    if serve:
        server.serve(host=None, port=None, workers=None)


def _seed(session: Session) -> None:
    users = [accounts.signup(session, name, f"{name}@example.com", DEMO_PASSWORD) for name in DEMO_USERS]
    for i, user in enumerate(users):
        for other in users:
            if other is not user:
                graph.follow(session, user, other)
        for j in range(3):
            post = posts.create_post(session, user, posts.NewPost(caption=f"{user.username}'s photo {j} #demo #day{j}"))
            for liker in users[: (i + j) % len(users)]:
                engagement.like(session, liker, post)

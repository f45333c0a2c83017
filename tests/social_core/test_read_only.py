"""`read_only`: readers do not queue behind a writer (SQLite), and still read committed data only."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from social_core import posts
from social_core.clock import utcnow
from social_core.db import make_sessionmaker, read_only
from social_core.ids import next_id
from social_core.models import Post, User


def test_reads_while_a_writer_holds_its_transaction(
    engine: Engine, session: Session, make_user: Callable[..., User]
) -> None:
    author = make_user("author")
    posts.create_post(session, author, posts.NewPost(caption="committed"))
    with make_sessionmaker(engine)() as writer:  # an open write transaction, not yet committed
        writer.add(Post(id=next_id(), author_id=author.id, caption="pending", created_at=utcnow()))
        writer.flush()
        started = time.perf_counter()
        with make_sessionmaker(read_only(engine))() as reader:
            captions = list(reader.scalars(select(Post.caption)))
            waited = time.perf_counter() - started
        writer.rollback()
    assert captions == ["committed"]  # never the writer's uncommitted row
    assert waited < 5  # an ordinary SQLite session would wait for the writer (busy timeout 30 s)


def test_writes_still_go_through_the_ordinary_engine(engine: Engine, make_user: Callable[..., User]) -> None:
    author = make_user("writer")
    with make_sessionmaker(engine)() as session:
        posts.create_post(session, author, posts.NewPost(caption="hello"))
    with read_only(engine).connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Post)) == 1

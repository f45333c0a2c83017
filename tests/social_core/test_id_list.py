"""`in_ids`: one bound list of ids, on both backends, in place of an expanding IN."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import CompileError
from sqlalchemy.orm import Session

from social_core import posts
from social_core.id_list import in_ids
from social_core.models import Post, User

BY_ID = select(Post.id).where(in_ids(Post.id, "ids"), Post.deleted_at.is_(None)).order_by(Post.id)


def test_selects_exactly_the_listed_ids(engine: Engine, session: Session, make_user: Callable[..., User]) -> None:
    author = make_user("author")
    made = [posts.create_post(session, author, posts.NewPost(caption=f"post {i}")).id for i in range(5)]
    with engine.connect() as conn:
        assert conn.scalars(BY_ID, {"ids": [made[3], made[0], made[3]]}).all() == sorted([made[0], made[3]])
        assert conn.scalars(BY_ID, {"ids": np.array(made[1:3], dtype=np.int64)}).all() == made[1:3]
        assert conn.scalars(BY_ID, {"ids": []}).all() == []
        assert conn.scalars(BY_ID, {"ids": [max(made) + 1]}).all() == []


def test_the_statement_does_not_grow_with_the_list(engine: Engine) -> None:
    # One placeholder whatever the length: the compiled SQL is cached instead of re-rendered per call.
    sql = str(BY_ID.compile(engine))
    assert sql.count("?") + sql.count("%(ids)s") == 1
    assert "= 1" not in sql  # a predicate as it is, not compared with 1 where booleans are integers


def test_a_list_that_is_not_ids_fails_before_the_database(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(Exception, match=r"invalid literal|NULL"):
        conn.execute(BY_ID, {"ids": ["seven"]})
    with engine.connect() as conn, pytest.raises(Exception, match=r"NULL"):
        conn.execute(BY_ID, {"ids": None})


def test_other_databases_are_refused_when_compiling() -> None:
    with pytest.raises(CompileError, match="SQLite and PostgreSQL"):
        BY_ID.compile(dialect=mysql.dialect())

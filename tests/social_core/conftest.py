from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from social_core import accounts
from social_core.db import make_sessionmaker
from social_core.models import User


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_sessionmaker(engine)() as session:
        yield session


@pytest.fixture
def make_user(session: Session) -> Callable[..., User]:
    def make(username: str) -> User:
        return accounts.signup(session, username, f"{username}@example.com", "password123")

    return make

"""Request-scoped dependencies: the DB session, the caller, and the visibility checks (in one place)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from social_core import accounts, visibility
from social_core.errors import Forbidden, Unauthenticated
from social_core.models import Post, User
from social_core.pagination import MAX_LIMIT

oauth2 = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


# Dependencies that neither block nor touch the database are `async def`: FastAPI runs a plain `def` one
# in the thread pool, a hand-off each way that costs a cached feed page a measurable share of its time.
async def get_now(request: Request) -> datetime:
    """The request's notion of now; tests replace `app.state.clock` to move time."""
    now: datetime = request.app.state.clock()
    return now


NowDep = Annotated[datetime, Depends(get_now)]


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_session(request: Request) -> Iterator[Session]:
    """The request's session. A safe request (GET, HEAD) reads without locks (`social_core.db.read_only`):
    on SQLite any other transaction holds the one write lock from its first statement to its end, so
    pages that only read would be served one at a time, behind every writer. A GET that writes (a story
    view) asks for `WriterSessionDep` instead."""
    state = request.app.state
    sessions = state.read_sessions if request.method in SAFE_METHODS else state.sessions
    with sessions() as session:  # closing rolls back whatever was not committed
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_writer_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


WriterSessionDep = Annotated[Session, Depends(get_writer_session)]


async def get_token(token: Annotated[str | None, Depends(oauth2)]) -> str:
    if not token:
        raise Unauthenticated("not authenticated")
    return token


TokenDep = Annotated[str, Depends(get_token)]


def get_current_user(session: SessionDep, token: TokenDep) -> User:
    return accounts.user_for_token(session, token)


def get_viewer(session: SessionDep, token: Annotated[str | None, Depends(oauth2)]) -> User | None:
    """The caller when a token is sent, None when signed out; a bad token is still a 401."""
    return accounts.user_for_token(session, token) if token else None


CurrentUser = Annotated[User, Depends(get_current_user)]
Viewer = Annotated[User | None, Depends(get_viewer)]


def _viewer_id(viewer: User | None) -> int | None:
    return viewer.id if viewer else None


def get_visible_user(session: SessionDep, viewer: Viewer, username: Annotated[str, Path()]) -> User:
    return visibility.visible_user(session, _viewer_id(viewer), username)


def get_visible_post(session: SessionDep, viewer: Viewer, post_id: Annotated[int, Path()]) -> Post:
    return visibility.visible_post(session, _viewer_id(viewer), post_id)


VisibleUser = Annotated[User, Depends(get_visible_user)]
VisiblePost = Annotated[Post, Depends(get_visible_post)]

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Query(description="`next_cursor` of the previous page.")]


def get_content_owner(session: SessionDep, viewer: Viewer, user: VisibleUser) -> User:
    """An account whose posts and lists the caller may read (private ones: followers only)."""
    if not visibility.can_see_content(session, _viewer_id(viewer), user):
        raise Forbidden("this account is private")
    return user


ContentOwner = Annotated[User, Depends(get_content_owner)]

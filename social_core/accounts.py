"""Accounts: sign-up, password log-in with opaque bearer tokens, log-out, profiles."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from social_core import outbox
from social_core.clock import utcnow
from social_core.errors import Conflict, Invalid, NotFound, Unauthenticated
from social_core.models import AuthToken, Media, User

USERNAME = re.compile(r"^[a-z0-9._]{1,30}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
MAX_BIO = 150
TOKEN_LIFETIME = timedelta(days=30)

hasher = PasswordHasher()
# Verifying against this keeps log-in time the same whether or not the username exists.
_DUMMY_HASH = hasher.hash("not-a-real-password")


def normalize_username(username: str) -> str:
    return username.strip().lower()


def signup(session: Session, username: str, email: str, password: str, *, now: datetime | None = None) -> User:
    username, email = normalize_username(username), email.strip().lower()
    if not USERNAME.match(username):
        raise Invalid("username must be 1-30 characters of a-z, 0-9, '.' and '_'")
    if not EMAIL.match(email) or len(email) > 254:
        raise Invalid("email is not a valid address")
    if len(password) < MIN_PASSWORD:
        raise Invalid(f"password must be at least {MIN_PASSWORD} characters")
    taken = session.scalar(select(User.username).where(or_(User.username == username, User.email == email)))
    if taken is not None:
        raise Conflict("username is taken" if taken == username else "email is already registered")
    user = User(username=username, email=email, password_hash=hasher.hash(password), created_at=now or utcnow())
    session.add(user)
    try:
        session.flush()
    except IntegrityError as error:  # lost a race with a concurrent sign-up
        session.rollback()
        raise Conflict("username or email is taken") from error
    outbox.emit(session, "user_created", actor_id=user.id, target_id=user.id, now=user.created_at)
    session.commit()
    return user


def login(session: Session, username: str, password: str, *, now: datetime | None = None) -> str:
    """Check the password and return a new bearer token (only its hash is stored)."""
    now = now or utcnow()
    user = session.scalar(select(User).where(User.username == normalize_username(username)))
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None:
        raise Unauthenticated("incorrect username or password")
    token = secrets.token_urlsafe(32)
    session.add(AuthToken(user_id=user.id, token_hash=_digest(token), created_at=now, expires_at=now + TOKEN_LIFETIME))
    session.commit()
    return token


# Built once, run with each request's digest: every authenticated request starts here, and building the
# statement (and loading the token row as an entity) was most of the time it took.
_TOKEN_USER = (
    select(User, AuthToken.revoked_at, AuthToken.expires_at)
    .join(AuthToken, AuthToken.user_id == User.id)
    .where(AuthToken.token_hash == bindparam("digest"))
)


def user_for_token(session: Session, token: str, *, now: datetime | None = None) -> User:
    row = session.execute(_TOKEN_USER, {"digest": _digest(token)}).first()
    if row is None:
        raise Unauthenticated("invalid or expired token")
    user, revoked_at, expires_at = row
    if revoked_at is not None or expires_at <= (now or utcnow()):
        raise Unauthenticated("invalid or expired token")
    return user


def logout(session: Session, token: str, *, now: datetime | None = None) -> None:
    session.execute(
        update(AuthToken)
        .where(AuthToken.token_hash == _digest(token), AuthToken.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
    )
    session.commit()


def get_by_username(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == normalize_username(username)))
    if user is None:
        raise NotFound("user not found")
    return user


@dataclass(frozen=True)
class ProfileUpdate:
    full_name: str | None = None
    bio: str | None = None
    profile_picture_id: int | None = None
    is_private: bool | None = None


def update_profile(session: Session, user: User, changes: ProfileUpdate, *, now: datetime | None = None) -> User:
    if changes.bio is not None and len(changes.bio) > MAX_BIO:
        raise Invalid(f"bio must be at most {MAX_BIO} characters")
    if changes.full_name is not None and len(changes.full_name) > 64:
        raise Invalid("full name must be at most 64 characters")
    if changes.profile_picture_id is not None:
        owned = session.scalar(
            select(func.count()).where(Media.id == changes.profile_picture_id, Media.owner_id == user.id)
        )
        if not owned:
            raise Invalid("profile picture must be one of your own media")
    fields = {name: value for name, value in vars(changes).items() if value is not None}
    for name, value in fields.items():
        setattr(user, name, value)
    outbox.emit(session, "profile_updated", actor_id=user.id, target_id=user.id, payload=fields, now=now)
    session.commit()
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()

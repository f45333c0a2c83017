from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, status
from fastapi.security import OAuth2PasswordRequestForm

from serving.deps import SessionDep, TokenDep
from serving.schemas.users import Token, UserCreate, UserPublic
from social_core import accounts

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post("/signup", status_code=status.HTTP_201_CREATED)
def signup(body: UserCreate, session: SessionDep) -> UserPublic:
    user = accounts.signup(session, body.username, body.email, body.password)
    return UserPublic.model_validate(user)


@router.post("/token")
def token(form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep) -> Token:
    """Log in with the OAuth2 password form; returns a bearer token."""
    return Token(access_token=accounts.login(session, form.username, form.password))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(token: TokenDep, session: SessionDep) -> None:
    """Revoke the token this request carries."""
    accounts.user_for_token(session, token)
    accounts.logout(session, token)

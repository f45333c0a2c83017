from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from serving.schemas.common import IdStr, Schema


class UserCreate(Schema):
    username: str = Field(examples=["alice"])
    email: str = Field(examples=["alice@example.com"])
    password: str = Field(examples=["correct horse battery"])


class Token(Schema):
    access_token: str
    token_type: str = "bearer"


class UserSummary(Schema):
    id: int
    username: str
    full_name: str
    profile_picture_id: IdStr | None = None


class UserPublic(UserSummary):
    bio: str
    is_private: bool
    followers_count: int
    following_count: int
    posts_count: int
    created_at: datetime
    relation: Literal["self", "following", "requested", "none"] | None = Field(
        None, description="The caller's relation to this account; null when signed out."
    )


class UserUpdate(Schema):
    full_name: str | None = None
    bio: str | None = None
    profile_picture_id: int | None = None
    is_private: bool | None = None


class FollowState(Schema):
    status: Literal["following", "requested", "none"]


class FollowRequestPublic(Schema):
    id: int
    requester: UserSummary
    created_at: datetime

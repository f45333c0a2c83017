from __future__ import annotations

from datetime import datetime

from pydantic import Field

from serving.schemas.attachments import MediaAttachment
from serving.schemas.common import IdStr, Schema
from serving.schemas.users import UserSummary


class PostCreate(Schema):
    caption: str = ""
    media_ids: list[int] = Field(default_factory=list, description="Ids of your own uploads, in order.")
    location: str | None = None


class PostPublic(Schema):
    id: IdStr
    author: UserSummary
    caption: str
    hashtags: list[str]
    media: list[MediaAttachment]
    location: str | None
    like_count: int
    comment_count: int
    save_count: int
    liked_by_me: bool
    created_at: datetime


class LikeState(Schema):
    liked: bool
    like_count: int


class SaveState(Schema):
    saved: bool
    save_count: int


class CommentCreate(Schema):
    text: str


class CommentPublic(Schema):
    id: IdStr
    post_id: IdStr
    author: UserSummary
    text: str
    created_at: datetime

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from serving.schemas.attachments import MediaAttachment
from serving.schemas.common import IdStr, Schema
from serving.schemas.users import UserSummary


class StoryCreate(Schema):
    media_id: int = Field(description="One of your own uploads, not yet used; a video must be at most 15 s.")


class StoryPublic(Schema):
    id: IdStr
    author: UserSummary
    media: MediaAttachment
    created_at: datetime
    expires_at: datetime


class StoryReel(Schema):
    """One account's active stories, oldest first."""

    user: UserSummary
    items: list[StoryPublic]


class TrayItem(Schema):
    user: UserSummary
    story_id: IdStr = Field(description="The first active story: where watching starts.")
    thumbnail_url: str
    seen: bool = Field(description="Every active story already viewed; your own entry counts as seen.")
    latest_at: datetime = Field(description="When the account's most recent active story was posted.")


class StoryTray(Schema):
    """Your own stories first, then followed accounts with active stories: unseen first, then most recent."""

    items: list[TrayItem]


class StoryViewer(Schema):
    user: UserSummary
    viewed_at: datetime

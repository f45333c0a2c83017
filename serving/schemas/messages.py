from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from serving.schemas.attachments import MediaAttachment
from serving.schemas.common import IdStr, Schema
from serving.schemas.users import UserSummary


class ThreadCreate(Schema):
    usernames: list[str] = Field(
        examples=[["bob"]], description="The other members (1 to 31); a 1:1 thread with the same person is reused."
    )


class MessageCreate(Schema):
    """Exactly one of the three."""

    text: str | None = Field(None, description="At most 1,000 characters.")
    post_id: int | None = Field(None, description="A post you can see, to share.")
    media_id: int | None = Field(None, description="One of your own uploads.")


class MessagePublic(Schema):
    id: IdStr
    thread_id: IdStr
    sender: UserSummary
    kind: Literal["text", "post", "media"]
    text: str | None = None
    post_id: IdStr | None = None
    media: MediaAttachment | None = None
    created_at: datetime


class ThreadPublic(Schema):
    id: IdStr
    participants: list[UserSummary]
    is_group: bool
    folder: Literal["inbox", "requests"] = Field(description="Where the thread sits for you.")
    unread_count: int
    last_read_message_id: IdStr | None = Field(None, description="Your read receipt.")
    last_message: MessagePublic | None = None
    created_at: datetime


class ReadCreate(Schema):
    message_id: int | None = Field(None, description="Read up to this message; default: the latest.")


class ReadState(Schema):
    thread_id: IdStr
    last_read_message_id: IdStr | None
    unread_count: int

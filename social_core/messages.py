"""Direct messages: text, a shared post or one of the sender's media, into a thread they belong to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from social_core import outbox, visibility
from social_core.clock import utcnow
from social_core.errors import Forbidden, Invalid, NotFound
from social_core.ids import next_id
from social_core.models import Media, Message, Story, Thread, ThreadParticipant, User
from social_core.pagination import Page, keyset, page
from social_core.threads import Membership

MAX_TEXT = 1000


@dataclass(frozen=True)
class NewMessage:
    """Exactly one field is set."""

    text: str | None = None
    post_id: int | None = None
    media_id: int | None = None

    @property
    def kind(self) -> str:
        set_fields = [name for name, value in vars(self).items() if value is not None]
        if len(set_fields) != 1:
            raise Invalid("a message carries exactly one of: text, post_id, media_id")
        return {"text": "text", "post_id": "post", "media_id": "media"}[set_fields[0]]


def send(
    session: Session, sender: User, member: Membership, new: NewMessage, *, now: datetime | None = None
) -> Message:
    """Send into a thread the sender belongs to; replying also accepts a pending request."""
    now = now or utcnow()
    kind = new.kind
    if any(visibility.blocked_either_way(session, sender.id, uid) for uid in member.member_ids if uid != sender.id):
        raise Forbidden("you cannot message someone you blocked or who blocked you")
    _check_content(session, sender, new)
    message = Message(
        id=next_id(),
        thread_id=member.thread.id,
        sender_id=sender.id,
        kind=kind,
        text=new.text,
        post_id=new.post_id,
        media_id=new.media_id,
        created_at=now,
    )
    session.add(message)
    session.flush()
    thread_id = member.thread.id
    session.execute(update(Thread).where(Thread.id == thread_id).values(last_message_id=message.id))
    session.execute(
        update(ThreadParticipant).where(ThreadParticipant.thread_id == thread_id).values(last_activity_id=message.id)
    )
    session.execute(
        update(ThreadParticipant)
        .where(ThreadParticipant.thread_id == thread_id, ThreadParticipant.user_id == sender.id)
        .values(accepted=True, last_read_message_id=message.id)
    )
    others = [uid for uid in member.member_ids if uid != sender.id]
    outbox.emit(
        session,
        "message_sent",
        actor_id=sender.id,
        post_id=new.post_id,
        target_id=others[0] if len(others) == 1 else None,
        payload={"thread_id": thread_id, "message_id": message.id, "kind": kind},
        now=now,
    )
    session.commit()
    return message


def thread_messages(session: Session, thread: Thread, *, limit: int, cursor: str | None) -> Page[Message]:
    """Newest first; message ids are time-sortable, so the id alone is the cursor."""
    query = select(Message).where(Message.thread_id == thread.id)
    messages = list(session.scalars(keyset(query, Message.id, cursor=cursor, limit=limit)))
    return page(messages, limit, lambda message: [message.id])


def _check_content(session: Session, sender: User, new: NewMessage) -> None:
    if new.text is not None:
        if not new.text.strip():
            raise Invalid("message must not be empty")
        if len(new.text) > MAX_TEXT:
            raise Invalid(f"message must be at most {MAX_TEXT} characters")
    if new.post_id is not None:
        try:
            visibility.visible_post(session, sender.id, new.post_id)
        except NotFound:
            raise Invalid("you can only share a post you can see") from None
    if new.media_id is not None:
        media = session.get(Media, new.media_id)
        in_story = session.scalar(select(exists().where(Story.media_id == new.media_id)))
        if media is None or media.owner_id != sender.id or media.deleted_at is not None or in_story:
            raise Invalid("media must be one of your own uploads")

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.attachments import media_attachment
from serving.deps import CurrentUser, Cursor, Limit, NowDep, SessionDep
from serving.realtime import BrokerDep
from serving.schemas.common import Page
from serving.schemas.messages import MessageCreate, MessagePublic, ReadCreate, ReadState, ThreadCreate, ThreadPublic
from serving.schemas.users import UserSummary
from social_core import messages, threads
from social_core.models import Media, Message, User

router = APIRouter(prefix="/v1/threads", tags=["messages"])


def get_membership(session: SessionDep, me: CurrentUser, thread_id: Annotated[int, Path()]) -> threads.Membership:
    """The thread, for its members only: 404 to anyone else."""
    return threads.membership(session, thread_id, me.id)


Member = Annotated[threads.Membership, Depends(get_membership)]


def _messages_public(session: Session, rows: Sequence[Message]) -> list[MessagePublic]:
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_({m.sender_id for m in rows})))}
    media_ids = {m.media_id for m in rows if m.media_id}
    media = {m.id: m for m in session.scalars(select(Media).where(Media.id.in_(media_ids), Media.deleted_at.is_(None)))}
    return [
        MessagePublic(
            id=m.id,
            thread_id=m.thread_id,
            sender=UserSummary.model_validate(users[m.sender_id]),
            kind=m.kind,
            text=m.text,
            post_id=m.post_id,
            media=media_attachment(media[m.media_id]) if m.media_id in media else None,
            created_at=m.created_at,
        )
        for m in rows
    ]


def _threads_public(session: Session, summaries: Sequence[threads.ThreadSummary]) -> list[ThreadPublic]:
    last = {m.id: m for m in _messages_public(session, [s.last_message for s in summaries if s.last_message])}
    return [
        ThreadPublic(
            id=s.thread.id,
            participants=[UserSummary.model_validate(user) for user in s.members],
            is_group=s.thread.pair_key is None,
            folder="inbox" if s.participant.accepted else "requests",
            unread_count=s.unread,
            last_read_message_id=s.participant.last_read_message_id or None,
            last_message=last.get(s.last_message.id) if s.last_message else None,
            created_at=s.thread.created_at,
        )
        for s in summaries
    ]


def _thread_public(session: Session, me: User, member: threads.Membership) -> ThreadPublic:
    return _threads_public(session, threads.summaries(session, me, [(member.thread, member.participant)]))[0]


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses={200: {"description": "The existing 1:1 thread, reused."}}
)
def create_thread(
    body: ThreadCreate, me: CurrentUser, session: SessionDep, now: NowDep, response: Response
) -> ThreadPublic:
    """Start a thread with 1 to 31 others; a 1:1 thread with the same person is reused (200)."""
    thread, created = threads.create_thread(session, me, body.usernames, now=now)
    if not created:
        response.status_code = status.HTTP_200_OK
    return _thread_public(session, me, threads.membership(session, thread.id, me.id))


@router.get("")
def list_threads(
    me: CurrentUser,
    session: SessionDep,
    folder: threads.Folder = threads.Folder.INBOX,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> Page[ThreadPublic]:
    """Your threads in one folder (`requests`: from people you do not follow), most recent activity first."""
    page = threads.threads(session, me, folder=folder, limit=limit, cursor=cursor)
    return Page(items=_threads_public(session, page.items), next_cursor=page.next_cursor)


@router.get("/{thread_id}")
def get_thread(member: Member, me: CurrentUser, session: SessionDep) -> ThreadPublic:
    return _thread_public(session, me, member)


@router.post("/{thread_id}/messages", status_code=status.HTTP_201_CREATED)
def send_message(
    body: MessageCreate, member: Member, me: CurrentUser, session: SessionDep, now: NowDep, broker: BrokerDep
) -> MessagePublic:
    """Send exactly one of: `text`, `post_id` (a post you can see), `media_id` (one of your uploads)."""
    new = messages.NewMessage(text=body.text, post_id=body.post_id, media_id=body.media_id)
    public = _messages_public(session, [messages.send(session, me, member, new, now=now)])[0]
    event = {"type": "message", "thread_id": str(member.thread.id), "message": public.model_dump(mode="json")}
    broker.publish(member.member_ids, event)  # after the commit, never before
    return public


@router.get("/{thread_id}/messages")
def list_messages(member: Member, session: SessionDep, limit: Limit = 20, cursor: Cursor = None) -> Page[MessagePublic]:
    """Newest first."""
    page = messages.thread_messages(session, member.thread, limit=limit, cursor=cursor)
    return Page(items=_messages_public(session, page.items), next_cursor=page.next_cursor)


@router.post("/{thread_id}/read")
def mark_read(
    member: Member, me: CurrentUser, session: SessionDep, now: NowDep, broker: BrokerDep, body: ReadCreate | None = None
) -> ReadState:
    """Read receipt up to the latest message, or up to `message_id`; it never moves back."""
    moved = threads.mark_read(session, me, member, body.message_id if body else None, now=now)
    if moved is not None:
        event = {"type": "read", "thread_id": str(member.thread.id), "user_id": me.id, "message_id": str(moved)}
        broker.publish(member.member_ids, event)
    return ReadState(
        thread_id=member.thread.id,
        last_read_message_id=member.participant.last_read_message_id or None,
        unread_count=threads.unread_counts(session, me.id, [member.thread.id])[member.thread.id],
    )


@router.post("/{thread_id}/accept", status_code=status.HTTP_204_NO_CONTENT)
def accept(member: Member, me: CurrentUser, session: SessionDep, now: NowDep) -> None:
    """Move a message request to your inbox."""
    threads.accept(session, me, member, now=now)

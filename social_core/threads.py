"""Direct-message threads: 2 to 32 people, one 1:1 thread per pair, a requests folder, read receipts.

A thread lands in a member's "requests" folder when its creator is someone that member does not
follow; it moves to the inbox once they accept it (or reply).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from social_core import outbox, visibility
from social_core.accounts import normalize_username
from social_core.clock import utcnow
from social_core.db import insert_ignore
from social_core.errors import Invalid, NotFound
from social_core.ids import next_id
from social_core.models import Message, Thread, ThreadParticipant, User
from social_core.pagination import Page, keyset, page

MAX_PARTICIPANTS = 32


class Folder(StrEnum):
    INBOX = "inbox"
    REQUESTS = "requests"


@dataclass(frozen=True)
class Membership:
    """A thread seen by one of its members."""

    thread: Thread
    participant: ThreadParticipant
    member_ids: list[int]


@dataclass(frozen=True)
class ThreadSummary:
    thread: Thread
    participant: ThreadParticipant
    members: list[User]
    last_message: Message | None
    unread: int


def create_thread(
    session: Session, creator: User, usernames: Sequence[str], *, now: datetime | None = None
) -> tuple[Thread, bool]:
    """Start a thread with these people (blocked or unknown ones: 404); a 1:1 thread is reused.

    Returns the thread and whether it was created.
    """
    now = now or utcnow()
    names = [name for name in dict.fromkeys(normalize_username(n) for n in usernames) if name != creator.username]
    if not 1 <= len(names) <= MAX_PARTICIPANTS - 1:
        raise Invalid(f"a thread takes 1 to {MAX_PARTICIPANTS - 1} other people")
    others = [visibility.visible_user(session, creator.id, name) for name in names]
    pair_key = _pair_key(creator.id, others[0].id) if len(others) == 1 else None
    if pair_key is not None and (existing := _thread_for_pair(session, pair_key)) is not None:
        return existing, False
    thread_id = next_id()
    values = {"id": thread_id, "creator_id": creator.id, "pair_key": pair_key, "created_at": now}
    if not insert_ignore(session, Thread.__table__, values):  # a concurrent request made this pair's thread
        existing = _thread_for_pair(session, pair_key or "")
        assert existing is not None
        return existing, False
    session.add(_participant(thread_id, creator.id, accepted=True, activity=thread_id, now=now))
    for other in others:
        accepted = visibility.follows(session, other.id, creator.id)
        session.add(_participant(thread_id, other.id, accepted=accepted, activity=None, now=now))
    payload = {"thread_id": thread_id, "participant_ids": [creator.id] + [u.id for u in others]}
    target_id = others[0].id if pair_key else None
    outbox.emit(session, "thread_created", actor_id=creator.id, target_id=target_id, payload=payload, now=now)
    session.commit()
    thread = session.get(Thread, thread_id)
    assert thread is not None
    return thread, True


def membership(session: Session, thread_id: int, user_id: int) -> Membership:
    """The thread as `user_id` sees it; 404 for anyone not in it."""
    row = session.execute(
        select(Thread, ThreadParticipant)
        .join(ThreadParticipant, ThreadParticipant.thread_id == Thread.id)
        .where(Thread.id == thread_id, ThreadParticipant.user_id == user_id)
    ).first()
    if row is None:
        raise NotFound("thread not found")
    ids = session.scalars(select(ThreadParticipant.user_id).where(ThreadParticipant.thread_id == thread_id))
    return Membership(row.Thread, row.ThreadParticipant, sorted(ids))


def accept(session: Session, user: User, member: Membership, *, now: datetime | None = None) -> None:
    """Move a request to the inbox; accepting again changes nothing."""
    if member.participant.accepted:
        return
    member.participant.accepted = True
    payload = {"thread_id": member.thread.id}
    outbox.emit(session, "thread_accepted", actor_id=user.id, payload=payload, now=now)
    session.commit()


def mark_read(
    session: Session, user: User, member: Membership, message_id: int | None = None, *, now: datetime | None = None
) -> int | None:
    """Read receipt up to `message_id` (default: the latest). Receipts only move forward.

    Returns the message id the receipt moved to, or None when it did not move.
    """
    if message_id is None:
        message_id = member.thread.last_message_id
    elif session.scalar(select(Message.thread_id).where(Message.id == message_id)) != member.thread.id:
        raise Invalid("message is not in this thread")
    if message_id is None or message_id <= member.participant.last_read_message_id:
        return None
    moved = session.execute(
        update(ThreadParticipant)
        .where(
            ThreadParticipant.thread_id == member.thread.id,
            ThreadParticipant.user_id == user.id,
            ThreadParticipant.last_read_message_id < message_id,
        )
        .values(last_read_message_id=message_id)
    )
    if not moved.rowcount:  # type: ignore[attr-defined]
        return None
    payload = {"thread_id": member.thread.id, "message_id": message_id}
    outbox.emit(session, "message_read", actor_id=user.id, payload=payload, now=now)
    session.commit()
    return message_id


def threads(session: Session, user: User, *, folder: Folder, limit: int, cursor: str | None) -> Page[ThreadSummary]:
    """The user's threads in one folder, most recent activity first."""
    query = (
        select(Thread, ThreadParticipant)
        .join(ThreadParticipant, ThreadParticipant.thread_id == Thread.id)
        .where(
            ThreadParticipant.user_id == user.id,
            ThreadParticipant.accepted == (folder is Folder.INBOX),
            ThreadParticipant.last_activity_id.is_not(None),
        )
    )
    query = keyset(query, ThreadParticipant.last_activity_id, cursor=cursor, limit=limit)
    rows = page(list(session.execute(query)), limit, lambda row: [row[1].last_activity_id])
    return Page(summaries(session, user, rows.items), rows.next_cursor)


def summaries(session: Session, user: User, rows: Sequence[tuple[Thread, ThreadParticipant]]) -> list[ThreadSummary]:
    """Members, last message and unread count of a page of threads, in three queries."""
    ids = [thread.id for thread, _ in rows]
    members: dict[int, list[User]] = {thread_id: [] for thread_id in ids}
    for thread_id, member in session.execute(
        select(ThreadParticipant.thread_id, User)
        .join(User, User.id == ThreadParticipant.user_id)
        .where(ThreadParticipant.thread_id.in_(ids))
        .order_by(User.id)
    ):
        members[thread_id].append(member)
    last_ids = [thread.last_message_id for thread, _ in rows if thread.last_message_id]
    last = {message.id: message for message in session.scalars(select(Message).where(Message.id.in_(last_ids)))}
    unread = unread_counts(session, user.id, ids)
    return [
        ThreadSummary(thread, participant, members[thread.id], last.get(thread.last_message_id or 0), unread[thread.id])
        for thread, participant in rows
    ]


def unread_counts(session: Session, user_id: int, thread_ids: Sequence[int]) -> dict[int, int]:
    """Messages from others after the user's read receipt, per thread."""
    counts = dict.fromkeys(thread_ids, 0)
    query = (
        select(Message.thread_id, func.count())
        .join(
            ThreadParticipant,
            (ThreadParticipant.thread_id == Message.thread_id) & (ThreadParticipant.user_id == user_id),
        )
        .where(
            Message.thread_id.in_(thread_ids),
            Message.id > ThreadParticipant.last_read_message_id,
            Message.sender_id != user_id,
        )
        .group_by(Message.thread_id)
    )
    counts.update({thread_id: int(n) for thread_id, n in session.execute(query)})
    return counts


def _pair_key(a: int, b: int) -> str:
    return f"{min(a, b)}:{max(a, b)}"


def _thread_for_pair(session: Session, pair_key: str) -> Thread | None:
    return session.scalar(select(Thread).where(Thread.pair_key == pair_key))


def _participant(
    thread_id: int, user_id: int, *, accepted: bool, activity: int | None, now: datetime
) -> ThreadParticipant:
    return ThreadParticipant(
        thread_id=thread_id,
        user_id=user_id,
        accepted=accepted,
        last_activity_id=activity,
        last_read_message_id=0,
        joined_at=now,
    )

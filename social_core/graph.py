"""The social graph: follows, follow requests for private accounts, blocks."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import delete, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from social_core import outbox
from social_core.clock import utcnow
from social_core.db import insert_ignore
from social_core.errors import Invalid, NotFound
from social_core.models import Block, Follow, FollowRequest, User
from social_core.pagination import Page, keyset, page
from social_core.visibility import blocked_either_way


class FollowStatus(StrEnum):
    FOLLOWING = "following"
    REQUESTED = "requested"
    NONE = "none"


def follow(session: Session, actor: User, target: User, *, now: datetime | None = None) -> FollowStatus:
    """Follow `target`, or ask to when it is private. Repeating is harmless and writes nothing."""
    now = now or utcnow()
    if actor.id == target.id:
        raise Invalid("you cannot follow yourself")
    if blocked_either_way(session, actor.id, target.id):
        raise NotFound("user not found")
    if target.is_private:
        if _is_following(session, actor.id, target.id):
            return FollowStatus.FOLLOWING
        values = {"requester_id": actor.id, "target_id": target.id, "created_at": now}
        if insert_ignore(session, FollowRequest.__table__, values):
            outbox.emit(session, "follow_request", actor_id=actor.id, target_id=target.id, now=now)
            session.commit()
        return FollowStatus.REQUESTED
    if _add_follow(session, actor.id, target.id, now):
        outbox.emit(session, "follow", actor_id=actor.id, target_id=target.id, now=now)
        session.commit()
    return FollowStatus.FOLLOWING


def unfollow(session: Session, actor: User, target: User, *, now: datetime | None = None) -> None:
    """Stop following, or withdraw a pending request; a no-op when there is neither."""
    if _remove_follow(session, actor.id, target.id):
        outbox.emit(session, "unfollow", actor_id=actor.id, target_id=target.id, now=now)
    elif _remove_request(session, actor.id, target.id):
        outbox.emit(session, "follow_request_withdrawn", actor_id=actor.id, target_id=target.id, now=now)
    session.commit()


def pending_requests(
    session: Session, owner: User, *, limit: int, cursor: str | None
) -> Page[tuple[FollowRequest, User]]:
    query = select(FollowRequest, User).join(User, User.id == FollowRequest.requester_id)
    query = query.where(FollowRequest.target_id == owner.id)
    rows = list(session.execute(keyset(query, FollowRequest.id, cursor=cursor, limit=limit)))
    return page(rows, limit, lambda row: [row[0].id])


def answer_request(
    session: Session, owner: User, request_id: int, *, approve: bool, now: datetime | None = None
) -> None:
    now = now or utcnow()
    request = session.get(FollowRequest, request_id)
    if request is None or request.target_id != owner.id:
        raise NotFound("follow request not found")
    requester_id = request.requester_id
    session.delete(request)
    if approve:
        _add_follow(session, requester_id, owner.id, now)
        outbox.emit(session, "follow", actor_id=requester_id, target_id=owner.id, payload={"approved": True}, now=now)
    else:
        outbox.emit(session, "follow_request_denied", actor_id=owner.id, target_id=requester_id, now=now)
    session.commit()


def block(session: Session, actor: User, target: User, *, now: datetime | None = None) -> None:
    """Block `target`: follows and requests between the two go, both ways."""
    now = now or utcnow()
    if actor.id == target.id:
        raise Invalid("you cannot block yourself")
    if not insert_ignore(
        session, Block.__table__, {"blocker_id": actor.id, "blocked_id": target.id, "created_at": now}
    ):
        return
    for a, b in ((actor.id, target.id), (target.id, actor.id)):
        _remove_follow(session, a, b)
        _remove_request(session, a, b)
    outbox.emit(session, "block", actor_id=actor.id, target_id=target.id, now=now)
    session.commit()


def unblock(session: Session, actor: User, target: User, *, now: datetime | None = None) -> None:
    removed = session.execute(delete(Block).where(Block.blocker_id == actor.id, Block.blocked_id == target.id))
    if removed.rowcount:  # type: ignore[attr-defined]
        outbox.emit(session, "unblock", actor_id=actor.id, target_id=target.id, now=now)
    session.commit()


def followers(session: Session, user: User, *, limit: int, cursor: str | None) -> Page[User]:
    return _edge_page(session, Follow.followee_id, Follow.follower_id, user.id, limit, cursor)


def following(session: Session, user: User, *, limit: int, cursor: str | None) -> Page[User]:
    return _edge_page(session, Follow.follower_id, Follow.followee_id, user.id, limit, cursor)


def relation(session: Session, viewer_id: int, target_id: int) -> FollowStatus:
    if _is_following(session, viewer_id, target_id):
        return FollowStatus.FOLLOWING
    pending = session.scalar(
        select(FollowRequest.id).where(FollowRequest.requester_id == viewer_id, FollowRequest.target_id == target_id)
    )
    return FollowStatus.REQUESTED if pending else FollowStatus.NONE


def _edge_page(
    session: Session,
    anchor: InstrumentedAttribute[int],
    other: InstrumentedAttribute[int],
    user_id: int,
    limit: int,
    cursor: str | None,
) -> Page[User]:
    """Newest edges first, keyset-paginated on (created_at, other user id)."""
    query = select(User, Follow.created_at).join(Follow, other == User.id).where(anchor == user_id)
    rows = list(session.execute(keyset(query, Follow.created_at, other, cursor=cursor, limit=limit)))
    result = page(rows, limit, lambda row: [row.created_at, row.User.id])
    return Page([row.User for row in result.items], result.next_cursor)


def _is_following(session: Session, follower_id: int, followee_id: int) -> bool:
    return session.get(Follow, (follower_id, followee_id)) is not None


def _add_follow(session: Session, follower_id: int, followee_id: int, now: datetime) -> bool:
    values = {"follower_id": follower_id, "followee_id": followee_id, "created_at": now}
    if not insert_ignore(session, Follow.__table__, values):
        return False
    _bump(session, follower_id, followee_id, +1)
    return True


def _remove_follow(session: Session, follower_id: int, followee_id: int) -> bool:
    result = session.execute(delete(Follow).where(Follow.follower_id == follower_id, Follow.followee_id == followee_id))
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    _bump(session, follower_id, followee_id, -1)
    return True


def _remove_request(session: Session, requester_id: int, target_id: int) -> bool:
    result = session.execute(
        delete(FollowRequest).where(FollowRequest.requester_id == requester_id, FollowRequest.target_id == target_id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _bump(session: Session, follower_id: int, followee_id: int, delta: int) -> None:
    # Relative UPDATEs: the row lock makes concurrent follows add up instead of overwriting.
    # Rows are locked in id order so that A→B and B→A at once cannot deadlock.
    changes = {
        follower_id: {"following_count": User.following_count + delta},
        followee_id: {"followers_count": User.followers_count + delta},
    }
    for user_id in sorted(changes):
        session.execute(update(User).where(User.id == user_id).values(**changes[user_id]))
    session.expire_all()

"""Likes, saves, comments and hides: each idempotent where repeating makes sense, each counted."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from social_core import outbox
from social_core.clock import utcnow
from social_core.db import insert_ignore
from social_core.errors import Forbidden, Invalid, NotFound
from social_core.ids import next_id
from social_core.models import Comment, Hide, Like, Post, Save, User
from social_core.pagination import Page, keyset, page

MAX_COMMENT = 2200


def like(session: Session, user: User, post: Post, *, now: datetime | None = None) -> int:
    return _mark(session, Like, Post.like_count, "like", user, post, now)


def unlike(session: Session, user: User, post: Post, *, now: datetime | None = None) -> int:
    return _unmark(session, Like, Post.like_count, "unlike", user, post, now)


def save(session: Session, user: User, post: Post, *, now: datetime | None = None) -> int:
    return _mark(session, Save, Post.save_count, "save", user, post, now)


def unsave(session: Session, user: User, post: Post, *, now: datetime | None = None) -> int:
    return _unmark(session, Save, Post.save_count, "unsave", user, post, now)


def hide(session: Session, user: User, post: Post, *, now: datetime | None = None) -> None:
    """ "See less": the post leaves this user's feed and its author is down-ranked for them."""
    now = now or utcnow()
    values = {"user_id": user.id, "post_id": post.id, "author_id": post.author_id, "created_at": now}
    if insert_ignore(session, Hide.__table__, values):
        outbox.emit(session, "hide", actor_id=user.id, post_id=post.id, target_id=post.author_id, now=now)
        session.commit()


def liked_by(session: Session, user_id: int | None, post_ids: list[int]) -> set[int]:
    if user_id is None or not post_ids:
        return set()
    return set(session.scalars(select(Like.post_id).where(Like.user_id == user_id, Like.post_id.in_(post_ids))))


def add_comment(session: Session, user: User, post: Post, body: str, *, now: datetime | None = None) -> Comment:
    now = now or utcnow()
    if not body.strip():
        raise Invalid("comment must not be empty")
    if len(body) > MAX_COMMENT:
        raise Invalid(f"comment must be at most {MAX_COMMENT} characters")
    comment = Comment(id=next_id(), post_id=post.id, author_id=user.id, text=body, created_at=now)
    session.add(comment)
    session.execute(update(Post).where(Post.id == post.id).values(comment_count=Post.comment_count + 1))
    outbox.emit(
        session,
        "comment",
        actor_id=user.id,
        post_id=post.id,
        target_id=post.author_id,
        payload={"comment_id": comment.id, "length": len(body)},
        now=now,
    )
    session.commit()
    return comment


def delete_comment(session: Session, user: User, post: Post, comment_id: int, *, now: datetime | None = None) -> None:
    """The comment's author or the post's owner may delete it."""
    now = now or utcnow()
    comment = session.get(Comment, comment_id)
    if comment is None or comment.post_id != post.id or comment.deleted_at is not None:
        raise NotFound("comment not found")
    if user.id not in (comment.author_id, post.author_id):
        raise Forbidden("only the comment's author or the post's owner can delete it")
    comment.deleted_at = now
    session.execute(update(Post).where(Post.id == post.id).values(comment_count=Post.comment_count - 1))
    outbox.emit(
        session,
        "comment_deleted",
        actor_id=user.id,
        post_id=post.id,
        target_id=comment.author_id,
        payload={"comment_id": comment.id},
        now=now,
    )
    session.commit()


def comments(session: Session, post: Post, *, limit: int, cursor: str | None) -> Page[tuple[Comment, User]]:
    """Oldest first, as a conversation reads."""
    query = (
        select(Comment, User)
        .join(User, User.id == Comment.author_id)
        .where(Comment.post_id == post.id, Comment.deleted_at.is_(None))
    )
    rows = list(session.execute(keyset(query, Comment.id, cursor=cursor, limit=limit, descending=False)))
    return page(rows, limit, lambda row: [row[0].id])


def _mark(
    session: Session,
    model: type[Like] | type[Save],
    counter: InstrumentedAttribute[int],
    kind: str,
    user: User,
    post: Post,
    now: datetime | None,
) -> int:
    now = now or utcnow()
    if insert_ignore(session, model.__table__, {"user_id": user.id, "post_id": post.id, "created_at": now}):
        session.execute(update(Post).where(Post.id == post.id).values({counter: counter + 1}))
        outbox.emit(session, kind, actor_id=user.id, post_id=post.id, target_id=post.author_id, now=now)
        session.commit()
    return _count(session, counter, post.id)


def _unmark(
    session: Session,
    model: type[Like] | type[Save],
    counter: InstrumentedAttribute[int],
    kind: str,
    user: User,
    post: Post,
    now: datetime | None,
) -> int:
    removed = session.execute(delete(model).where(model.user_id == user.id, model.post_id == post.id))
    if removed.rowcount:  # type: ignore[attr-defined]
        session.execute(update(Post).where(Post.id == post.id).values({counter: counter - 1}))
        outbox.emit(session, kind, actor_id=user.id, post_id=post.id, target_id=post.author_id, now=now)
        session.commit()
    return _count(session, counter, post.id)


def _count(session: Session, counter: InstrumentedAttribute[int], post_id: int) -> int:
    value = session.scalar(select(counter).where(Post.id == post_id))
    session.commit()  # end the read transaction (SQLite holds its write lock until then)
    return int(value or 0)

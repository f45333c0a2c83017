"""Who may see whom: the one place that applies blocks and private accounts.

Blocks work both ways and look like absence (404); a private account's content is visible to
itself and its approved followers only.
"""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session

from social_core.errors import NotFound
from social_core.models import Block, Follow, Post, User


def blocked_either_way(session: Session, a: int, b: int) -> bool:
    return bool(
        session.scalar(
            select(
                exists().where(
                    or_(
                        and_(Block.blocker_id == a, Block.blocked_id == b),
                        and_(Block.blocker_id == b, Block.blocked_id == a),
                    )
                )
            )
        )
    )


def follows(session: Session, follower_id: int, followee_id: int) -> bool:
    query = select(exists().where(Follow.follower_id == follower_id, Follow.followee_id == followee_id))
    return bool(session.scalar(query))


def can_see_content(session: Session, viewer_id: int | None, owner: User) -> bool:
    """May the viewer (None: signed out) see the owner's posts, followers and following?"""
    if viewer_id == owner.id:
        return True
    if viewer_id is not None and blocked_either_way(session, viewer_id, owner.id):
        return False
    if not owner.is_private:
        return True
    return viewer_id is not None and follows(session, viewer_id, owner.id)


def visible_user(session: Session, viewer_id: int | None, username: str) -> User:
    """The account behind a username, unless it does not exist or a block stands between them."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or (
        viewer_id is not None and viewer_id != user.id and blocked_either_way(session, viewer_id, user.id)
    ):
        raise NotFound("user not found")
    return user


def visible_post(session: Session, viewer_id: int | None, post_id: int) -> Post:
    row = session.execute(
        select(Post, User).join(User, User.id == Post.author_id).where(Post.id == post_id, Post.deleted_at.is_(None))
    ).first()
    if row is None:
        raise NotFound("post not found")
    post, author = row
    if not can_see_content(session, viewer_id, author):
        raise NotFound("post not found")
    return post

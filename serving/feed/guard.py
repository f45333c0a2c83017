"""The last check before a page leaves: every item still visible to the viewer, right now.

A ranked list is cached for minutes and its invalidation runs on the relay, a moment after the
change. Blocks, an account going private, a deleted post or (explore) a new follow must not wait for
either: each page's posts are re-read and dropped when deleted, blocked either way, private and not
followed, or, out of network, followed. A dropped item leaves the page shorter; the next page still
starts where this one ended, so nothing is skipped or repeated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BindParameter, Select, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from social_core.id_list import in_ids
from social_core.models import Block, Follow, Like, Post, User
from social_core.types import PostId, UserId


@dataclass(frozen=True)
class VisiblePost:
    post: Post
    author: User
    liked: bool  # by the viewer: read here too, the page shows it


def _visible_posts() -> Select[Post, User, bool, bool, bool]:
    """Built once, run with each page's values (`viewer`, `ids`): a statement built per call, and an
    expanding IN rendered per call, were a fifth of a cached page's time."""
    viewer: BindParameter[int] = bindparam("viewer")
    author = Post.author_id
    blocked = exists().where(
        or_(
            (Block.blocker_id == viewer) & (Block.blocked_id == author),
            (Block.blocker_id == author) & (Block.blocked_id == viewer),
        )
    )
    followed = exists().where(Follow.follower_id == viewer, Follow.followee_id == author)
    liked = exists().where(Like.user_id == viewer, Like.post_id == Post.id)
    return (
        select(Post, User, blocked.label("blocked"), followed.label("followed"), liked.label("liked"))
        .join(User, User.id == author)
        .where(in_ids(Post.id, "ids"), Post.deleted_at.is_(None))
    )


VISIBLE_POSTS = _visible_posts()


def visible_posts(
    session: Session, viewer_id: UserId, post_ids: Sequence[PostId], *, out_of_network: bool = False
) -> dict[PostId, VisiblePost]:
    """The posts among `post_ids` the viewer may be shown now, by id (order is the caller's). One query:
    the blocks, follows and likes between the viewer and each post are correlated EXISTS columns."""
    if not post_ids:
        return {}
    rows = session.execute(VISIBLE_POSTS, {"viewer": viewer_id, "ids": list(post_ids)}).all()
    out: dict[PostId, VisiblePost] = {}
    for post, user, is_blocked, is_followed, is_liked in rows:
        own = post.author_id == viewer_id
        if not own and (is_blocked or (user.is_private and not is_followed)):
            continue
        if out_of_network and (own or is_followed):
            continue
        out[post.id] = VisiblePost(post, user, bool(is_liked))
    return out

"""The last check before a page leaves: every item still visible to the viewer, right now.

A ranked list is cached for minutes and its invalidation runs on the relay, a moment after the
change. Blocks, an account going private, a deleted post or (explore) a new follow must not wait for
either: each page's posts are re-read and dropped when deleted, blocked either way, private and not
followed, or, out of network, followed. A dropped item leaves the page shorter; the next page still
starts where this one ended, so nothing is skipped or repeated.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from social_core.models import Block, Follow, Post, User
from social_core.types import PostId, UserId


def visible_posts(
    session: Session, viewer_id: UserId, post_ids: Sequence[PostId], *, out_of_network: bool = False
) -> dict[PostId, Post]:
    """The posts among `post_ids` the viewer may be shown now, by id (order is the caller's)."""
    if not post_ids:
        return {}
    rows = session.execute(
        select(Post, User.is_private)
        .join(User, User.id == Post.author_id)
        .where(Post.id.in_(list(post_ids)), Post.deleted_at.is_(None))
    ).all()
    authors = sorted({post.author_id for post, _ in rows} - {viewer_id})
    blocked = {
        int(b if a == viewer_id else a)
        for a, b in session.execute(
            select(Block.blocker_id, Block.blocked_id).where(
                or_(
                    (Block.blocker_id == viewer_id) & Block.blocked_id.in_(authors),
                    (Block.blocked_id == viewer_id) & Block.blocker_id.in_(authors),
                )
            )
        )
    }
    followed = set(
        session.scalars(
            select(Follow.followee_id).where(Follow.follower_id == viewer_id, Follow.followee_id.in_(authors))
        )
    )
    out: dict[PostId, Post] = {}
    for post, private in rows:
        author = post.author_id
        own = author == viewer_id
        if author in blocked or (private and not own and author not in followed):
            continue
        if out_of_network and (own or author in followed):
            continue
        out[post.id] = post
    return out

"""The feed without Redis: the followed accounts' posts from the database, newest first.

When Redis is unreachable there is no fan-out set, no seen store and nowhere to keep a ranked list
for the next page, so the feed falls back to what the database alone answers consistently: a keyset
page over (created_at, id) of live posts by the accounts the viewer follows (an approved follow is
what makes a private account's posts visible; a block removes the follows both ways).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ranking.degraded import Degraded
from ranking.pages.cursor import ChronoCursor
from social_core.models import Follow, Post
from social_core.pagination import encode_cursor, keyset
from social_core.types import UserId

REASON = Degraded.CHRONOLOGICAL_FEED


def chronological_page(
    session: Session, viewer_id: UserId, limit: int, cursor: ChronoCursor | None
) -> tuple[list[Post], ChronoCursor | None]:
    """Up to `limit` posts after `cursor`, and the cursor of the next page (None at the end)."""
    query = (
        select(Post)
        .join(Follow, (Follow.followee_id == Post.author_id) & (Follow.follower_id == viewer_id))
        .where(Post.deleted_at.is_(None))
    )
    edge = encode_cursor(cursor.created_at.isoformat(), cursor.post_id) if cursor else None
    rows = list(session.scalars(keyset(query, Post.created_at, Post.id, cursor=edge, limit=limit)))
    posts = rows[:limit]
    offset = cursor.offset if cursor else 0
    if len(rows) <= limit or not posts:
        return posts, None
    last = posts[-1]
    return posts, ChronoCursor(last.created_at, last.id, offset + len(posts))

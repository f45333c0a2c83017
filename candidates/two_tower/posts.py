"""Posts as the post tower reads them: id, author, caption, hashtags, media type and picture, from the database.

One query for training (every live post) and for the relay (the posts just created), so a post is
described the same way in both.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from candidates.images.media import post_image_vectors
from social_core.models import Media, Post, PostHashtag, PostMedia


def post_rows(conn: Connection, post_ids: Sequence[int] | None = None, image_model: str = "") -> list[dict[str, Any]]:
    """Live posts (all, or those in ``post_ids``) in id order, as `embed.post_table` rows plus ``created_at``;
    with ``image_model``, each row's ``image`` is its picture's embedding by that encoder version, or None."""
    posts = select(Post.id, Post.author_id, Post.caption, Post.created_at).where(Post.deleted_at.is_(None))
    tags = select(PostHashtag.post_id, PostHashtag.tag)
    media = select(PostMedia.post_id, Media.kind).join(Media, Media.id == PostMedia.media_id)
    if post_ids is not None:
        posts = posts.where(Post.id.in_(post_ids))
        tags = tags.where(PostHashtag.post_id.in_(post_ids))
        media = media.where(PostMedia.post_id.in_(post_ids))
    hashtags: dict[int, list[str]] = defaultdict(list)
    for post_id, tag in conn.execute(tags):
        hashtags[int(post_id)].append(tag)
    images = post_image_vectors(conn, post_ids, image_model) if image_model else {}
    kinds: dict[int, list[str]] = defaultdict(list)
    for post_id, kind in conn.execute(media):
        kinds[int(post_id)].append(kind)
    return [
        {
            "id": int(p),
            "author_id": int(a),
            "caption": caption,
            "hashtags": hashtags.get(int(p), []),
            "media_type": media_type(kinds.get(int(p), [])),
            "image": images.get(int(p)),
            "created_at": created,
        }
        for p, a, caption, created in conn.execute(posts.order_by(Post.id))
    ]


def media_type(kinds: list[str]) -> str:
    """ "none" (text only), "image", "video", or "carousel" (several media)."""
    if not kinds:
        return "none"
    return "carousel" if len(kinds) > 1 else kinds[0]


def created_ts(rows: Sequence[dict[str, Any]]) -> list[float]:
    return [row["created_at"].timestamp() if isinstance(row["created_at"], datetime) else 0.0 for row in rows]

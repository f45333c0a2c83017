"""Rows → public schemas, batched so a page costs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.post_contents import ContentsReader, read_contents
from serving.schemas.posts import PostPublic
from serving.schemas.users import UserPublic, UserSummary
from social_core import engagement, graph
from social_core.models import Post, User


def user_public(session: Session, user: User, viewer: User | None) -> UserPublic:
    public = UserPublic.model_validate(user)
    if viewer is not None:
        public.relation = "self" if viewer.id == user.id else graph.relation(session, viewer.id, user.id).value
    return public


def posts_public(
    session: Session,
    rows: Sequence[Post],
    viewer: User | None,
    *,
    authors: Mapping[int, User] | None = None,
    liked: AbstractSet[int] | None = None,
    contents: ContentsReader = read_contents,
) -> list[PostPublic]:
    """Public posts for a page; `authors` (by id) and `liked` (post ids the viewer liked), when the caller
    has already read them, save their queries; `contents` may be a `PostContents` cache."""
    return [PostPublic(**fields) for fields in post_fields(session, rows, viewer, authors, liked, contents)]


def post_fields(
    session: Session,
    rows: Sequence[Post],
    viewer: User | None,
    authors: Mapping[int, User] | None,
    liked: AbstractSet[int] | None,
    contents: ContentsReader,
) -> list[dict[str, Any]]:
    """Each post's `PostPublic` fields (`posts_public`), for a schema that adds its own (the feed's items):
    built once into that schema, rather than into a `PostPublic` first and copied."""
    ids = [post.id for post in rows]
    details = contents(session, ids)
    if liked is None:
        liked = engagement.liked_by(session, viewer.id if viewer else None, ids)
    if authors is None:
        author_ids = {post.author_id for post in rows}
        authors = {user.id: user for user in session.scalars(select(User).where(User.id.in_(author_ids)))}
    summaries = {author_id: UserSummary.model_validate(user) for author_id, user in authors.items()}
    return [
        {
            "id": post.id,
            "author": summaries[post.author_id],
            "caption": post.caption,
            "hashtags": list(details[post.id].hashtags),
            "media": list(details[post.id].media),
            "location": post.location,
            "like_count": post.like_count,
            "comment_count": post.comment_count,
            "save_count": post.save_count,
            "liked_by_me": post.id in liked,
            "created_at": post.created_at,
        }
        for post in rows
    ]

"""Rows → public schemas, batched so a page costs a fixed number of queries."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from serving.attachments import media_attachment
from serving.schemas.posts import PostPublic
from serving.schemas.users import UserPublic, UserSummary
from social_core import engagement, graph, posts
from social_core.models import Media, Post, User


def user_public(session: Session, user: User, viewer: User | None) -> UserPublic:
    public = UserPublic.model_validate(user)
    if viewer is not None:
        public.relation = "self" if viewer.id == user.id else graph.relation(session, viewer.id, user.id).value
    return public


def posts_public(session: Session, rows: Sequence[Post], viewer: User | None) -> list[PostPublic]:
    ids = [post.id for post in rows]
    details = posts.post_details(session, ids)
    liked = engagement.liked_by(session, viewer.id if viewer else None, ids)
    author_ids = {post.author_id for post in rows}
    authors = {user.id: user for user in session.scalars(select(User).where(User.id.in_(author_ids)))}
    media_ids = [media_id for media_list, _ in details.values() for media_id in media_list]
    media = {row.id: row for row in session.scalars(select(Media).where(Media.id.in_(media_ids)))}
    return [
        PostPublic(
            id=post.id,
            author=UserSummary.model_validate(authors[post.author_id]),
            caption=post.caption,
            hashtags=details[post.id][1],
            media=[media_attachment(media[media_id]) for media_id in details[post.id][0]],
            location=post.location,
            like_count=post.like_count,
            comment_count=post.comment_count,
            save_count=post.save_count,
            liked_by_me=post.id in liked,
            created_at=post.created_at,
        )
        for post in rows
    ]

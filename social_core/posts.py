"""Posts: create with media, hashtags and mentions; soft delete; a user's grid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from social_core import outbox, text
from social_core.clock import utcnow
from social_core.errors import Forbidden, Invalid
from social_core.id_list import in_ids
from social_core.ids import next_id
from social_core.models import Media, Post, PostHashtag, PostMedia, PostMention, User
from social_core.pagination import Page, keyset, page

MAX_CAPTION = 2200
MAX_MEDIA = 10
MAX_LOCATION = 100


@dataclass(frozen=True)
class NewPost:
    caption: str = ""
    media_ids: Sequence[int] = field(default_factory=tuple)
    location: str | None = None


def create_post(
    session: Session, author: User, new: NewPost, *, min_media: int = 0, now: datetime | None = None
) -> Post:
    now = now or utcnow()
    _validate(session, author, new, min_media)
    post = Post(id=next_id(), author_id=author.id, caption=new.caption, location=new.location, created_at=now)
    session.add(post)
    session.flush()
    tags = text.hashtags(new.caption)
    mentioned = _mentioned_ids(session, new.caption)
    if new.media_ids:
        rows = [{"post_id": post.id, "position": i, "media_id": m} for i, m in enumerate(new.media_ids)]
        session.execute(insert(PostMedia), rows)
    if tags:
        session.execute(insert(PostHashtag), [{"post_id": post.id, "tag": tag} for tag in tags])
    if mentioned:
        session.execute(insert(PostMention), [{"post_id": post.id, "user_id": uid} for uid in mentioned])
    session.execute(update(User).where(User.id == author.id).values(posts_count=User.posts_count + 1))
    payload = {
        "hashtags": tags,
        "mentions": mentioned,
        "media_ids": list(new.media_ids),
        "caption_length": len(new.caption),
    }
    outbox.emit(
        session, "post_created", actor_id=author.id, post_id=post.id, target_id=author.id, payload=payload, now=now
    )
    session.commit()
    return post


def delete_post(session: Session, actor: User, post: Post, *, now: datetime | None = None) -> None:
    if post.author_id != actor.id:
        raise Forbidden("only the author can delete a post")
    now = now or utcnow()
    post.deleted_at = now
    session.execute(update(User).where(User.id == actor.id).values(posts_count=User.posts_count - 1))
    outbox.emit(session, "post_deleted", actor_id=actor.id, post_id=post.id, target_id=actor.id, now=now)
    session.commit()


def user_posts(session: Session, author: User, *, limit: int, cursor: str | None) -> Page[Post]:
    """Newest first; ids are time-sortable, so the id alone is the cursor."""
    query = select(Post).where(Post.author_id == author.id, Post.deleted_at.is_(None))
    posts = list(session.scalars(keyset(query, Post.id, cursor=cursor, limit=limit)))
    return page(posts, limit, lambda post: [post.id])


# Built once, run with each page's ids (see `id_list`): a page's statements were a visible part of its time.
_MEDIA = (
    select(PostMedia.post_id, Media)
    .join(Media, Media.id == PostMedia.media_id)
    .where(in_ids(PostMedia.post_id, "ids"))
    .order_by(PostMedia.post_id, PostMedia.position)
)
_HASHTAGS = select(PostHashtag.post_id, PostHashtag.tag).where(in_ids(PostHashtag.post_id, "ids"))


def post_details(session: Session, post_ids: Sequence[int]) -> dict[int, tuple[list[Media], list[str]]]:
    """Media (in order) and hashtags per post, in two queries for a whole page."""
    details: dict[int, tuple[list[Media], list[str]]] = {pid: ([], []) for pid in post_ids}
    if not post_ids:
        return details
    ids = {"ids": list(post_ids)}
    for post_id, row in session.execute(_MEDIA, ids):
        details[post_id][0].append(row)
    for post_id, tag in session.execute(_HASHTAGS, ids):
        details[post_id][1].append(tag)
    return details


def _validate(session: Session, author: User, new: NewPost, min_media: int) -> None:
    if len(new.caption) > MAX_CAPTION:
        raise Invalid(f"caption must be at most {MAX_CAPTION} characters")
    if new.location is not None and len(new.location) > MAX_LOCATION:
        raise Invalid(f"location must be at most {MAX_LOCATION} characters")
    if not min_media <= len(new.media_ids) <= MAX_MEDIA:
        raise Invalid(f"a post takes {min_media} to {MAX_MEDIA} media")
    if len(set(new.media_ids)) != len(new.media_ids):
        raise Invalid("media ids must be distinct")
    if new.media_ids:
        usable = session.scalar(
            select(func.count())
            .select_from(Media)
            .outerjoin(PostMedia, PostMedia.media_id == Media.id)
            .where(Media.id.in_(new.media_ids), Media.owner_id == author.id, PostMedia.post_id.is_(None))
        )
        if usable != len(new.media_ids):
            raise Invalid("media must be your own uploads, not yet used by another post")


def _mentioned_ids(session: Session, caption: str) -> list[int]:
    names = text.mentions(caption)
    if not names:
        return []
    found = {name: uid for name, uid in session.execute(select(User.username, User.id).where(User.username.in_(names)))}
    return [found[name] for name in names if name in found]

"""Stories: photos and short videos shown for 24 hours, the tray of followed accounts, views, cleanup."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from social_core import outbox
from social_core.clock import utcnow
from social_core.db import insert_ignore
from social_core.errors import Forbidden, Invalid, NotFound
from social_core.ids import next_id
from social_core.models import Follow, Media, Message, PostMedia, Story, StoryView, User
from social_core.pagination import Page, keyset, page
from social_core.visibility import can_see_content

LIFETIME = timedelta(hours=24)
MAX_VIDEO_SECONDS = 15.0


@dataclass(frozen=True)
class TrayEntry:
    author: User
    first: Story  # the oldest active story: where watching starts
    latest_at: datetime
    seen: bool  # every active story already viewed (always true for the viewer's own entry)


@dataclass(frozen=True)
class Tray:
    entries: list[TrayEntry]
    changes_at: datetime | None  # when the first of its stories expires, and the tray changes by itself


@dataclass(frozen=True)
class Cleanup:
    story_ids: list[int]
    media_ids: list[int]
    keys: list[str]  # object-store keys of the purged media: every variant and the original


def create_story(session: Session, author: User, media_id: int, *, now: datetime | None = None) -> Story:
    """Post one of the author's unused uploads (a video: at most 15 s) as a story for 24 hours."""
    now = now or utcnow()
    media = _usable_media(session, author, media_id)
    values = {"id": next_id(), "author_id": author.id, "media_id": media.id, "created_at": now}
    if not insert_ignore(session, Story.__table__, values | {"expires_at": now + LIFETIME}):
        raise Invalid("media must be your own upload, not yet used")  # lost a race for the same media
    payload = {"story_id": values["id"], "media_id": media.id, "kind": media.kind}
    outbox.emit(session, "story_created", actor_id=author.id, target_id=author.id, payload=payload, now=now)
    session.commit()
    story = session.get(Story, values["id"])
    assert story is not None
    return story


def visible_story(session: Session, viewer_id: int, story_id: int, *, now: datetime) -> Story:
    """A story its author can always reach until deleted; others only while active and visible to them."""
    row = session.execute(
        select(Story, User)
        .join(User, User.id == Story.author_id)
        .where(Story.id == story_id, Story.deleted_at.is_(None))
    ).first()
    if row is None:
        raise NotFound("story not found")
    story, author = row
    if story.author_id != viewer_id and (story.expires_at <= now or not can_see_content(session, viewer_id, author)):
        raise NotFound("story not found")
    return story


def own_story(session: Session, actor: User, story_id: int, *, now: datetime) -> Story:
    story = visible_story(session, actor.id, story_id, now=now)
    if story.author_id != actor.id:
        raise Forbidden("only the story's author can do that")
    return story


def active_stories(session: Session, author: User, *, now: datetime) -> list[tuple[Story, Media]]:
    """The author's stories still showing, oldest first (the order they are watched in)."""
    query = (
        select(Story, Media)
        .join(Media, Media.id == Story.media_id)
        .where(Story.author_id == author.id, Story.expires_at > now, Story.deleted_at.is_(None))
        .order_by(Story.created_at, Story.id)
    )
    return [(row.Story, row.Media) for row in session.execute(query)]


def mark_viewed(session: Session, viewer: User, stories: list[Story], *, now: datetime | None = None) -> list[int]:
    """Record views (idempotent): one `story_view` event per story seen for the first time."""
    now = now or utcnow()
    fresh = [
        story
        for story in stories
        if story.author_id != viewer.id
        and insert_ignore(
            session, StoryView.__table__, {"story_id": story.id, "viewer_id": viewer.id, "created_at": now}
        )
    ]
    for story in fresh:
        payload = {"story_id": story.id}
        outbox.emit(session, "story_view", actor_id=viewer.id, target_id=story.author_id, payload=payload, now=now)
    if fresh:
        session.commit()
    return [story.id for story in fresh]


def tray(session: Session, viewer: User, *, now: datetime) -> Tray:
    """Followed accounts with active stories (the viewer's own first), unseen first, then most recent."""
    followees = select(Follow.followee_id).where(Follow.follower_id == viewer.id)
    seen = exists().where(StoryView.story_id == Story.id, StoryView.viewer_id == viewer.id)
    query = (
        select(Story, seen.label("seen"))
        .where(
            or_(Story.author_id.in_(followees), Story.author_id == viewer.id),
            Story.expires_at > now,
            Story.deleted_at.is_(None),
        )
        .order_by(Story.created_at, Story.id)
    )
    groups: dict[int, list[tuple[Story, bool]]] = {}
    for row in session.execute(query):
        groups.setdefault(row.Story.author_id, []).append((row.Story, bool(row.seen)))
    authors = {user.id: user for user in session.scalars(select(User).where(User.id.in_(groups)))}
    entries = [
        TrayEntry(
            author=authors[author_id],
            first=rows[0][0],
            latest_at=rows[-1][0].created_at,
            seen=author_id == viewer.id or all(seen for _, seen in rows),
        )
        for author_id, rows in groups.items()
    ]
    entries.sort(key=lambda e: (e.author.id != viewer.id, e.seen, -e.latest_at.timestamp(), e.author.id))
    changes_at = min((story.expires_at for rows in groups.values() for story, _ in rows), default=None)
    return Tray(entries, changes_at)


def viewers(session: Session, story: Story, *, limit: int, cursor: str | None) -> Page[tuple[StoryView, User]]:
    """Who viewed the story, most recent first, keyset-paginated on (viewed at, viewer id)."""
    query = select(StoryView, User).join(User, User.id == StoryView.viewer_id).where(StoryView.story_id == story.id)
    query = keyset(query, StoryView.created_at, StoryView.viewer_id, cursor=cursor, limit=limit)
    rows = list(session.execute(query))
    return page(rows, limit, lambda row: [row[0].created_at, row[0].viewer_id])


def delete_story(session: Session, actor: User, story: Story, *, now: datetime | None = None) -> None:
    if story.author_id != actor.id:
        raise Forbidden("only the story's author can do that")
    now = now or utcnow()
    story.deleted_at = now
    payload = {"story_id": story.id}
    outbox.emit(session, "story_deleted", actor_id=actor.id, target_id=actor.id, payload=payload, now=now)
    session.commit()


def cleanup_expired(session: Session, now: datetime, retention: timedelta, *, limit: int = 500) -> Cleanup:
    """Purge up to `limit` stories that expired more than `retention` ago (deleted ones too).

    Marks the stories deleted and their media `deleted_at`, and returns the media's storage keys:
    deleting those objects is the caller's job, after this commits. Run it until it returns nothing.
    """
    rows = session.execute(
        select(Story, Media)
        .join(Media, Media.id == Story.media_id)
        .where(Story.expires_at <= now - retention, Media.deleted_at.is_(None))
        .order_by(Story.expires_at, Story.id)
        .limit(limit)
    ).all()
    if not rows:
        return Cleanup([], [], [])
    story_ids = [row.Story.id for row in rows]
    media_ids = [row.Media.id for row in rows]
    session.execute(update(Story).where(Story.id.in_(story_ids), Story.deleted_at.is_(None)).values(deleted_at=now))
    session.execute(update(Media).where(Media.id.in_(media_ids)).values(deleted_at=now))
    payload = {"story_ids": story_ids, "media_ids": media_ids}
    outbox.emit(session, "stories_purged", actor_id=None, payload=payload, now=now)
    session.commit()
    return Cleanup(story_ids, media_ids, [key for row in rows for key in _storage_keys(row.Media)])


def _usable_media(session: Session, author: User, media_id: int) -> Media:
    media = session.get(Media, media_id)
    if media is None or media.owner_id != author.id or media.deleted_at is not None:
        raise Invalid("media must be your own upload, not yet used")
    used = session.scalar(
        select(
            or_(
                exists().where(PostMedia.media_id == media_id),
                exists().where(Story.media_id == media_id),
                exists().where(Message.media_id == media_id),
            )
        )
    )
    if used:
        raise Invalid("media must be your own upload, not yet used")
    if media.kind == "video" and (media.duration_s is None or media.duration_s > MAX_VIDEO_SECONDS):
        raise Invalid(f"a story video must be at most {MAX_VIDEO_SECONDS:g} seconds long")
    return media


def _storage_keys(media: Media) -> list[str]:
    keys = [variant["key"] for variant in media.variants or [] if variant.get("key")]
    return keys + ([media.original_key] if media.original_key else [])

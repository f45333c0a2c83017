from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, status

from serving.attachments import media_attachment, media_url
from serving.deps import ContentOwner, CurrentUser, Cursor, Limit, NowDep, SessionDep, WriterSessionDep
from serving.schemas.common import Page
from serving.schemas.stories import StoryCreate, StoryPublic, StoryReel, StoryTray, StoryViewer, TrayItem
from serving.schemas.users import UserSummary
from serving.tray_cache import TrayCacheDep
from social_core import stories
from social_core.models import Media, Story, User

router = APIRouter(prefix="/v1", tags=["stories"])


def get_own_story(session: SessionDep, me: CurrentUser, now: NowDep, story_id: Annotated[int, Path()]) -> Story:
    """A story of the caller's (403 for someone else's, 404 when unknown, or expired for others)."""
    return stories.own_story(session, me, story_id, now=now)


OwnStory = Annotated[Story, Depends(get_own_story)]


def _public(story: Story, author: User, media: Media) -> StoryPublic:
    return StoryPublic(
        id=story.id,
        author=UserSummary.model_validate(author),
        media=media_attachment(media),
        created_at=story.created_at,
        expires_at=story.expires_at,
    )


@router.post("/stories", status_code=status.HTTP_201_CREATED)
def create_story(
    body: StoryCreate, me: CurrentUser, session: SessionDep, now: NowDep, trays: TrayCacheDep
) -> StoryPublic:
    """Post one of your unused uploads as a story, shown for 24 hours."""
    story = stories.create_story(session, me, body.media_id, now=now)
    trays.invalidate(me.id)
    media = session.get(Media, story.media_id)
    assert media is not None
    return _public(story, me, media)


@router.get("/stories/tray")
def tray(me: CurrentUser, session: SessionDep, now: NowDep, trays: TrayCacheDep, request: Request) -> StoryTray:
    """Accounts you follow with active stories (yours first): unseen first, then by predicted interest in
    the account, then most recent."""
    cached = trays.lookup(me.id, now)
    if cached.items is not None:
        return StoryTray(items=[TrayItem.model_validate(item) for item in cached.items])
    result = stories.tray(session, me, now=now)
    entries = request.app.state.feed.tray.order(session, me.id, result.entries, now)  # serving.feed.tray
    media_ids = {entry.first.id: entry.first.media_id for entry in entries}
    items = [
        TrayItem(
            user=UserSummary.model_validate(entry.author),
            story_id=entry.first.id,
            thumbnail_url=media_url(media_ids[entry.first.id], "thumbnail", "jpeg"),
            seen=entry.seen,
            latest_at=entry.latest_at,
        )
        for entry in entries
    ]
    trays.store(me.id, cached, [item.model_dump(mode="json") for item in items], now, result.changes_at)
    return StoryTray(items=items)


@router.get("/users/{username}/stories")
def user_stories(
    me: CurrentUser, owner: ContentOwner, session: WriterSessionDep, now: NowDep, trays: TrayCacheDep
) -> StoryReel:
    """The account's active stories, oldest first; marks them viewed by you."""
    rows = stories.active_stories(session, owner, now=now)
    if stories.mark_viewed(session, me, [story for story, _ in rows], now=now):
        trays.invalidate(me.id)
    return StoryReel(
        user=UserSummary.model_validate(owner), items=[_public(story, owner, media) for story, media in rows]
    )


@router.get("/stories/{story_id}/viewers")
def story_viewers(story: OwnStory, session: SessionDep, limit: Limit = 20, cursor: Cursor = None) -> Page[StoryViewer]:
    """Who viewed your story, most recent first (the author only)."""
    page = stories.viewers(session, story, limit=limit, cursor=cursor)
    items = [StoryViewer(user=UserSummary.model_validate(user), viewed_at=view.created_at) for view, user in page.items]
    return Page(items=items, next_cursor=page.next_cursor)


@router.delete("/stories/{story_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_story(story: OwnStory, me: CurrentUser, session: SessionDep, now: NowDep, trays: TrayCacheDep) -> None:
    stories.delete_story(session, me, story, now=now)
    trays.invalidate(me.id)

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from social_core import graph, stories
from social_core.errors import Forbidden, Invalid, NotFound
from social_core.models import Event, Media, Story, User
from tests.factories import make_media

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def _story(session: Session, author: User, at: datetime) -> Story:
    return stories.create_story(session, author, make_media(session, author.id).id, now=at)


def _types(session: Session) -> list[str]:
    return list(session.scalars(select(Event.type).order_by(Event.id)))


def test_story_lives_24_hours_and_each_change_writes_one_event(
    session: Session, make_user: Callable[..., User]
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    story = _story(session, alice, T0)
    assert story.expires_at == T0 + timedelta(hours=24)
    assert [s.id for s, _ in stories.active_stories(session, alice, now=T0 + timedelta(hours=23, minutes=59))] == [
        story.id
    ]
    assert stories.active_stories(session, alice, now=T0 + timedelta(hours=24)) == []
    before = len(_types(session))
    assert stories.mark_viewed(session, bob, [story], now=T0) == [story.id]
    assert stories.mark_viewed(session, bob, [story], now=T0) == []
    assert stories.mark_viewed(session, alice, [story], now=T0) == []
    with pytest.raises(Forbidden):
        stories.delete_story(session, bob, story)
    stories.delete_story(session, alice, story)
    assert _types(session)[before:] == ["story_view", "story_deleted"]
    with pytest.raises(NotFound):
        stories.visible_story(session, alice.id, story.id, now=T0)


def test_visible_story_applies_expiry_privacy_and_blocks(session: Session, make_user: Callable[..., User]) -> None:
    alice, bob, carol = make_user("alice"), make_user("bob"), make_user("carol")
    story = _story(session, alice, T0)
    assert stories.visible_story(session, bob.id, story.id, now=T0).id == story.id
    assert stories.visible_story(session, alice.id, story.id, now=T0 + 2 * DAY).id == story.id  # the author
    with pytest.raises(NotFound):
        stories.visible_story(session, bob.id, story.id, now=T0 + DAY)
    graph.block(session, carol, alice)
    with pytest.raises(NotFound):
        stories.visible_story(session, carol.id, story.id, now=T0)
    with pytest.raises(Forbidden):
        stories.own_story(session, bob, story.id, now=T0)


def test_tray_groups_by_author_and_knows_when_it_changes(session: Session, make_user: Callable[..., User]) -> None:
    viewer, a, b = make_user("viewer"), make_user("a"), make_user("b")
    graph.follow(session, viewer, a)
    first = _story(session, a, T0)
    _story(session, a, T0 + timedelta(hours=2))
    _story(session, b, T0 + timedelta(hours=3))  # not followed
    result = stories.tray(session, viewer, now=T0 + timedelta(hours=4))
    assert [(e.author.username, e.first.id, e.latest_at, e.seen) for e in result.entries] == [
        ("a", first.id, T0 + timedelta(hours=2), False)
    ]
    assert result.changes_at == T0 + DAY


def test_cleanup_purges_only_stories_expired_past_retention(session: Session, make_user: Callable[..., User]) -> None:
    alice = make_user("alice")
    now = T0 + 10 * DAY
    old = _story(session, alice, now - 4 * DAY)  # expired 3 days ago
    deleted = _story(session, alice, now - 4 * DAY)
    stories.delete_story(session, alice, deleted, now=now - 4 * DAY)
    recent = _story(session, alice, now - DAY - timedelta(hours=1))  # expired an hour ago
    active = _story(session, alice, now - timedelta(hours=1))
    result = stories.cleanup_expired(session, now, timedelta(days=2))
    assert sorted(result.story_ids) == sorted([old.id, deleted.id])
    assert sorted(result.media_ids) == sorted([old.media_id, deleted.media_id])
    expected_keys = set()
    for media_id in result.media_ids:
        media = session.get(Media, media_id)
        assert media is not None and media.deleted_at == now
        expected_keys |= {v["key"] for v in media.variants} | {media.original_key}
    assert set(result.keys) == expected_keys and len(result.keys) == 2 * 13
    session.expire_all()
    assert session.get(Story, old.id).deleted_at == now  # type: ignore[union-attr]
    assert session.get(Story, deleted.id).deleted_at == now - 4 * DAY  # type: ignore[union-attr]
    for kept in (recent, active):
        assert session.get(Media, kept.media_id).deleted_at is None  # type: ignore[union-attr]
        assert session.get(Story, kept.id).deleted_at is None  # type: ignore[union-attr]
    assert _types(session).count("stories_purged") == 1
    assert stories.cleanup_expired(session, now, timedelta(days=2)).story_ids == []
    assert _types(session).count("stories_purged") == 1


def test_cleanup_works_in_batches(session: Session, make_user: Callable[..., User]) -> None:
    alice = make_user("alice")
    for _ in range(3):
        _story(session, alice, T0)
    now, retention = T0 + 5 * DAY, DAY
    assert len(stories.cleanup_expired(session, now, retention, limit=2).story_ids) == 2
    assert len(stories.cleanup_expired(session, now, retention, limit=2).story_ids) == 1
    assert stories.cleanup_expired(session, now, retention, limit=2).story_ids == []


def test_media_rules(session: Session, make_user: Callable[..., User]) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    with pytest.raises(Invalid):
        stories.create_story(session, alice, make_media(session, bob.id).id)
    with pytest.raises(Invalid):
        stories.create_story(session, alice, make_media(session, alice.id, kind="video").id)  # duration unknown
    ok = stories.create_story(session, alice, make_media(session, alice.id, kind="video", duration_s=3.0).id)
    with pytest.raises(Invalid):
        stories.create_story(session, alice, ok.media_id)

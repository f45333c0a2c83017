"""Every state change writes exactly one event in its own transaction; a failure writes neither."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from social_core import engagement, graph, outbox, posts
from social_core.models import Event, Follow, Like, Post, PostHashtag, User


def _events(session: Session) -> list[tuple[str, int | None, int | None]]:
    return [(e.type, e.actor_id, e.post_id) for e in session.scalars(select(Event).order_by(Event.id))]


def test_each_action_writes_exactly_one_event(session: Session, make_user: Callable[..., User]) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    assert [t for t, _, _ in _events(session)] == ["user_created", "user_created"]
    post = posts.create_post(session, alice, posts.NewPost(caption="hi #there"))
    actions: list[tuple[str, Callable[[], Any]]] = [
        ("follow", lambda: graph.follow(session, bob, alice)),
        ("like", lambda: engagement.like(session, bob, post)),
        ("comment", lambda: engagement.add_comment(session, bob, post, "nice")),
        ("save", lambda: engagement.save(session, bob, post)),
        ("hide", lambda: engagement.hide(session, bob, post)),
        ("unsave", lambda: engagement.unsave(session, bob, post)),
        ("unlike", lambda: engagement.unlike(session, bob, post)),
        ("unfollow", lambda: graph.unfollow(session, bob, alice)),
        ("block", lambda: graph.block(session, alice, bob)),
        ("unblock", lambda: graph.unblock(session, alice, bob)),
        ("post_deleted", lambda: posts.delete_post(session, alice, post)),
    ]
    for kind, act in actions:
        before = len(_events(session))
        act()
        after = _events(session)
        assert len(after) == before + 1, kind
        assert after[-1][0] == kind
    # repeating an idempotent action writes nothing more
    count = len(_events(session))
    graph.unfollow(session, bob, alice)
    engagement.unlike(session, bob, post)
    assert len(_events(session)) == count


def test_post_created_event_carries_what_features_need(session: Session, make_user: Callable[..., User]) -> None:
    alice = make_user("alice")
    make_user("bob")
    post = posts.create_post(session, alice, posts.NewPost(caption="#Sun and #sea with @bob"))
    event = session.scalars(select(Event).where(Event.type == "post_created")).one()
    assert (event.actor_id, event.post_id, event.target_id) == (alice.id, post.id, alice.id)
    assert event.payload["hashtags"] == ["sun", "sea"]
    assert len(event.payload["mentions"]) == 1


def _failing_emit(monkeypatch: pytest.MonkeyPatch) -> None:
    real = outbox.emit

    def emit_then_fail(*args: Any, **kwargs: Any) -> Event:
        real(*args, **kwargs)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(outbox, "emit", emit_then_fail)


def _count(session: Session, model: Any) -> int:
    session.rollback()
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_failure_mid_action_writes_neither_row_nor_event(
    session: Session, make_user: Callable[..., User], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice, bob = make_user("alice"), make_user("bob")
    post = posts.create_post(session, alice, posts.NewPost(caption="#first"))
    events = _count(session, Event)
    _failing_emit(monkeypatch)
    actions: list[Callable[[], Any]] = [
        lambda: posts.create_post(session, alice, posts.NewPost(caption="#second")),
        lambda: engagement.like(session, bob, post),
        lambda: graph.follow(session, bob, alice),
    ]
    for act in actions:
        with pytest.raises(RuntimeError):
            act()
        session.rollback()  # what closing the request's session does
    assert (_count(session, Post), _count(session, PostHashtag)) == (1, 1)
    assert (_count(session, Like), _count(session, Follow)) == (0, 0)
    assert _count(session, Event) == events
    counts = session.execute(select(User.posts_count, User.following_count).where(User.id.in_([alice.id, bob.id])))
    assert sorted(counts) == [(0, 0), (1, 0)]
    assert session.get(Post, post.id).like_count == 0  # type: ignore[union-attr]


def test_consumer_reads_in_order_and_marks_idempotently(session: Session, make_user: Callable[..., User]) -> None:
    alice = make_user("alice")
    for i in range(3):
        posts.create_post(session, alice, posts.NewPost(caption=f"post {i}"))
    batch = outbox.fetch_unprocessed(session, limit=10)
    assert [e.type for e in batch] == ["user_created", "post_created", "post_created", "post_created"]
    assert [e.id for e in batch] == sorted(e.id for e in batch)
    assert outbox.fetch_unprocessed(session, limit=10, types=["post_created"])[0].type == "post_created"
    assert outbox.mark_processed(session, [batch[0].id, batch[1].id]) == 2
    assert outbox.mark_processed(session, [batch[0].id, batch[1].id]) == 0  # already done
    assert [e.id for e in outbox.fetch_unprocessed(session)] == [batch[2].id, batch[3].id]


def test_emit_many_writes_rows_the_orm_reads_back_as_written(session: Session) -> None:
    at = datetime(2026, 11, 30, 12, 30, 45, 123456, tzinfo=UTC)
    written = outbox.emit_many(
        session,
        "impression",
        [
            {"actor_id": 1, "post_id": 10, "target_id": 2, "payload": {"position": 0, "score": 0.1}, "created_at": at},
            {"actor_id": 1, "post_id": None, "target_id": None, "payload": '{"position": 1}', "created_at": at},
        ],
    )
    session.commit()
    events = list(session.scalars(select(Event).order_by(Event.id)))
    assert written == 2
    assert [(e.type, e.actor_id, e.post_id, e.target_id, e.payload) for e in events] == [
        ("impression", 1, 10, 2, {"position": 0, "score": 0.1}),
        ("impression", 1, None, None, {"position": 1}),  # a str payload is taken as encoded JSON
    ]
    assert [e.created_at for e in events] == [at, at] and all(e.processed_at is None for e in events)
    outbox.emit(session, "through_the_orm", actor_id=1, now=at)
    session.commit()
    stored = session.execute(text("SELECT created_at FROM events ORDER BY id")).scalars().all()
    assert len(stored) == 3 and len(set(stored)) == 1  # raw, as the ORM stores the same time
    assert [e.id for e in outbox.fetch_unprocessed(session, types=["impression"])] == [e.id for e in events]
    assert outbox.emit_many(session, "impression", []) == 0

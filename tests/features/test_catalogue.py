"""`PostCatalogue`: the facts of every post in process, kept fresh from the outbox within `refresh_s`, and
the post and author feature rows it keeps for the hydrator until an event changes them."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from feast import FeatureStore
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from features import catalogue as catalogue_module
from features.catalogue import NO_PHASH, CatalogueConfig, PostCatalogue
from features.hydrate import Hydrator
from features.schema import service_columns
from features.stock import stock_features
from features.stream.deltas import Delta, event_deltas
from features.stream.push import push_events
from social_core import outbox
from social_core.db import make_engine
from social_core.models import Event, Media, Post, PostMedia, User
from tests.features.conftest import BuiltWorld

COLUMNS = service_columns("ranker_v1")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def engine(built_world: BuiltWorld, tmp_path: Path) -> Engine:
    """A copy of the world's database: new events continue its ids, as they would in production."""
    shutil.copy(built_world.db_url.removeprefix("sqlite:///"), tmp_path / "catalogue.db")
    return make_engine(f"sqlite:///{tmp_path / 'catalogue.db'}")


def some_post(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        post_id, author_id = conn.execute(select(Post.id, Post.author_id).order_by(Post.id.desc()).limit(1)).one()
    return int(post_id), int(author_id)


def emit(session: Session, kind: str, actor: int, post: int | None, target: int | None) -> None:
    outbox.emit(session, kind, actor_id=actor, post_id=post, target_id=target, now=datetime.now(UTC))


def test_every_post_is_known_with_its_facts(engine: Engine) -> None:
    catalogue = PostCatalogue(engine)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Post.id, Post.author_id, User.is_private).join(User, User.id == Post.author_id)
        ).all()
    facts = catalogue.facts([r[0] for r in rows] + [123])
    assert len(catalogue) == len(rows) and catalogue.nbytes > 0
    assert facts.author_id[:-1].tolist() == [r[1] for r in rows]
    assert facts.author_private[:-1].tolist() == [bool(r[2]) for r in rows]
    assert facts.known[:-1].all() and not facts.known[-1] and facts.deleted[-1]  # unknown counts as deleted
    assert catalogue.usernames_of([rows[0][1], -5])[1] is None


def test_a_deletion_and_an_author_gone_private_show_within_refresh_s(engine: Engine) -> None:
    clock = Clock()
    catalogue = PostCatalogue(engine, CatalogueConfig(refresh_s=0.5), clock)
    post, author = some_post(engine)
    with Session(engine) as session:  # what `posts.delete_post` and `accounts.update_profile` write
        session.execute(update(Post).where(Post.id == post).values(deleted_at=datetime.now(UTC)))
        emit(session, "post_deleted", author, post, author)
        session.execute(update(User).where(User.id == author).values(is_private=True))
        emit(session, "profile_updated", author, None, author)
        session.commit()
    clock.now += 0.4
    assert not catalogue.facts([post]).deleted[0]  # within the staleness bound: the page guard covers it
    clock.now += 0.1
    facts = catalogue.facts([post])
    assert facts.deleted[0] and facts.author_private[0]


def test_a_new_post_is_known_at_once_even_without_its_event(engine: Engine) -> None:
    catalogue = PostCatalogue(engine, CatalogueConfig(refresh_s=3600))
    _, author = some_post(engine)
    new_id = 10**17
    with engine.begin() as conn:
        conn.execute(insert(Post), [{"id": new_id, "author_id": author, "created_at": datetime.now(UTC)}])
    facts = catalogue.facts([new_id])
    assert facts.known[0] and facts.author_id[0] == author and not facts.deleted[0]
    older = new_id - 1  # behind the newest: the dense index is sorted again, and its rows start again
    with engine.begin() as conn:
        conn.execute(insert(Post), [{"id": older, "author_id": author, "created_at": datetime.now(UTC)}])
    generation = catalogue.generation
    assert catalogue.facts([older, new_id]).known.all() and catalogue.generation == generation + 1


def test_a_post_carries_its_first_pictures_hash_and_one_without_a_picture_none(engine: Engine) -> None:
    catalogue = PostCatalogue(engine, CatalogueConfig(refresh_s=3600))
    _, author = some_post(engine)
    pictured, bare, now = 10**17, 10**17 + 1, datetime.now(UTC)
    media = [
        {"id": 10**17 + k, "owner_id": author, "kind": "image", "phash": h, "created_at": now}
        for k, h in ((5, -7), (6, 9))
    ]
    with engine.begin() as conn:  # what `posts.create_post` writes: the post and its media in order
        conn.execute(insert(Post), [{"id": p, "author_id": author, "created_at": now} for p in (pictured, bare)])
        conn.execute(insert(Media), media)
        conn.execute(
            insert(PostMedia), [{"post_id": pictured, "position": k, "media_id": m["id"]} for k, m in enumerate(media)]
        )
    assert catalogue.facts([pictured, bare, 123]).phash.tolist() == [-7, NO_PHASH, NO_PHASH]
    older = pictured - 1  # a re-sort keeps every post's hash with it
    with engine.begin() as conn:
        conn.execute(insert(Post), [{"id": older, "author_id": author, "created_at": now}])
    assert catalogue.facts([older, pictured]).phash.tolist() == [NO_PHASH, -7]


def test_an_event_late_in_the_id_order_is_not_missed(engine: Engine) -> None:
    """PostgreSQL hands out ids before commit: an event can become visible behind a newer one."""
    clock = Clock()
    catalogue = PostCatalogue(engine, CatalogueConfig(refresh_s=0.0, settle_s=5.0), clock)
    post, author = some_post(engine)
    with Session(engine) as session:
        emit(session, "like", 1, post, author)
        session.commit()
    catalogue.follow()
    with Session(engine) as session:  # an event with an id below the newest one seen, committed late
        newest = session.scalar(select(Event.id).order_by(Event.id.desc()).limit(1))
        session.execute(update(Post).where(Post.id == post).values(deleted_at=datetime.now(UTC)))
        session.execute(
            insert(Event).values(
                id=(newest or 0) + 1,
                type="post_deleted",
                actor_id=author,
                post_id=post,
                target_id=author,
                payload={},
                created_at=datetime.now(UTC),
            )
        )
        session.execute(update(Event).where(Event.id == newest).values(id=(newest or 0) + 2))
        session.commit()
    clock.now += 1.0
    assert catalogue.facts([post]).deleted[0]


def test_the_hydrator_over_the_catalogue_equals_stock_and_a_like_reaches_it(
    store: FeatureStore, built_world: BuiltWorld, engine: Engine
) -> None:
    clock = Clock()
    catalogue = PostCatalogue(engine, CatalogueConfig(refresh_s=0.0), clock)
    with engine.connect() as conn:
        rows = conn.execute(select(Post.id, Post.author_id).order_by(Post.id.desc()).limit(80)).all()
    posts, authors = [int(r[0]) for r in rows], [int(r[1]) for r in rows]
    hydrator = Hydrator.from_store(store, catalogue=catalogue)
    now = built_world.report.as_of.timestamp() + 60  # type: ignore[union-attr]
    for user in (1, 17):
        np.testing.assert_array_equal(
            hydrator(user, posts, authors, now), stock_features(store, "ranker_v1", user, posts, authors, now)
        )
    before = hydrator(17, posts[:1], authors[:1], now)
    with Session(engine, expire_on_commit=False) as session:
        emit(session, "like", 17, posts[0], authors[0])
        session.commit()
        liked = session.scalars(select(Event).order_by(Event.id.desc()).limit(1)).all()
    push_events(store, liked)  # the relay's push; the catalogue learns from the outbox which rows moved
    after = hydrator(17, posts[:1], authors[:1], now)
    assert after[0, COLUMNS.index("post_likes_total")] == before[0, COLUMNS.index("post_likes_total")] + 1


def test_a_row_the_relay_pushes_after_the_catalogue_saw_its_event_is_read_again(
    store: FeatureStore, built_world: BuiltWorld, engine: Engine
) -> None:
    clock = Clock()
    catalogue = PostCatalogue(engine, CatalogueConfig(refresh_s=0.5, settle_s=5.0), clock)
    post, author = some_post(engine)
    hydrator = Hydrator.from_store(store, catalogue=catalogue)
    likes = COLUMNS.index("post_likes_total")
    before = hydrator(17, [post], [author], 1.8e9)[0, likes]
    with Session(engine, expire_on_commit=False) as session:
        emit(session, "like", 17, post, author)
        session.commit()
        liked = session.scalars(select(Event).order_by(Event.id.desc()).limit(1)).all()
    clock.now += 0.5
    assert hydrator(17, [post], [author], 1.8e9)[0, likes] == before  # event seen, row not pushed yet
    push_events(store, liked)
    clock.now += 0.5
    assert hydrator(17, [post], [author], 1.8e9)[0, likes] == before + 1  # within `settle_s`: read again
    clock.now += 10.0
    hydrator(17, [post], [author], 1.8e9)
    clock.now += 0.5
    table = next(t for t in catalogue._tables if t.entity == "post" and t.width > 4)
    assert table.get([post])[1].tolist() == [False]  # settled: kept, not read on every ranking


def test_a_look_skips_impressions_and_still_sees_the_like_behind_them(
    store: FeatureStore, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    catalogue = PostCatalogue(engine, CatalogueConfig(refresh_s=0.5), clock)
    post, author = some_post(engine)
    hydrator = Hydrator.from_store(store, catalogue=catalogue)
    hydrator(17, [post], [author], 1.8e9)
    decoded: list[str] = []

    def recorded(kind: str, *args: int | None) -> Iterator[Delta]:
        decoded.append(kind)
        return event_deltas(kind, *args)

    monkeypatch.setattr(catalogue_module, "event_deltas", recorded)
    served = [{"actor_id": 17, "post_id": post, "target_id": author, "payload": {}, "created_at": datetime.now(UTC)}]
    with Session(engine) as session:
        outbox.emit_many(session, "impression", served * 300)
        emit(session, "like", 17, post, author)
        session.commit()
    clock.now += 0.5
    hydrator(17, [post], [author], 1.8e9)
    assert decoded == ["like"]  # the like moves the post's and author's rows; the impressions are not decoded
    decoded.clear()
    clock.now += 0.5
    hydrator(17, [post], [author], 1.8e9)
    assert decoded == []  # the next look starts after the newest event, impressions included

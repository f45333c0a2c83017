"""The stream push: a like is online within a second, and a batch handed over again counts once."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from feast import FeatureStore
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from features.hydrate import Hydrator, HydratorConfig
from features.schema import LAST_EVENT, service_columns
from features.stream.push import push_events
from social_core import outbox
from social_core.db import make_engine
from social_core.models import Event
from tests.features.conftest import BuiltWorld

COLUMNS = service_columns("ranker_v1")


def _world_outbox(built_world: BuiltWorld, tmp_path: Path) -> Engine:
    """A copy of the world's database: new events continue its ids, as they would in production."""
    shutil.copy(built_world.db_url.removeprefix("sqlite:///"), tmp_path / "outbox.db")
    return make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")


def _emit(engine: Engine, *events: tuple[str, int, int | None, int]) -> list[Event]:
    with Session(engine, expire_on_commit=False) as session:
        rows = [
            outbox.emit(session, kind, actor_id=actor, post_id=post, target_id=target, now=datetime.now(UTC))
            for kind, actor, post, target in events
        ]
        session.commit()
    return rows


def test_a_like_is_online_within_a_second(store: FeatureStore, built_world: BuiltWorld, tmp_path: Path) -> None:
    engine = _world_outbox(built_world, tmp_path)
    hydrator = Hydrator.from_store(store, HydratorConfig(cache_ttl_s=0))
    post, author, user = 777_000_001, 4242, 31
    before = hydrator(user, [post], [author], 1.8e9)
    emitted = _emit(engine, ("impression", user, post, author), ("like", user, post, author))
    with Session(engine) as session:
        started = time.perf_counter()
        new = session.query(Event).filter(Event.id.in_([e.id for e in emitted])).order_by(Event.id).all()
        pushed = push_events(store, new)
    after = hydrator(user, [post], [author], 1.8e9)
    elapsed = time.perf_counter() - started
    engine.dispose()
    assert elapsed <= 1.0, f"{elapsed:.2f} s"
    assert pushed["post_stats"] == 1 and pushed["user_author"] == 1
    delta = dict(zip(COLUMNS, (after - before)[0], strict=True))
    assert delta["post_likes_total"] == 1 and delta["post_likes_1h"] == 1 and delta["post_impressions_total"] == 1
    assert delta["user_likes_1d"] == 1 and delta["ua_interactions_28d"] == 1
    assert after[0, COLUMNS.index("post_engagement_rate")] == (1 + 0.05 * 20) / (1 + 20)


def test_a_batch_pushed_twice_or_overlapping_counts_once(
    store: FeatureStore, built_world: BuiltWorld, tmp_path: Path
) -> None:
    engine = _world_outbox(built_world, tmp_path)
    hydrator = Hydrator.from_store(store, HydratorConfig(cache_ttl_s=0))
    users, post, author = [31, 32, 33], 777_000_003, 4243
    events = _emit(
        engine,
        *[("impression", u, post, author) for u in users],
        *[("like", u, post, author) for u in users],
        ("follow", users[0], None, author),
    )
    before = {u: hydrator(u, [post], [author], 1.8e9) for u in users}
    push_events(store, events[:5])
    once = {u: hydrator(u, [post], [author], 1.8e9) for u in users}
    assert set(push_events(store, events[:5]).values()) == {0}  # handed over again: nothing new
    push_events(store, events[2:])  # overlapping: only the last two are new
    push_events(store, events)
    after = {u: hydrator(u, [post], [author], 1.8e9) for u in users}
    engine.dispose()
    delta = dict(zip(COLUMNS, (after[users[0]] - before[users[0]])[0], strict=True))
    assert delta["post_impressions_total"] == 3 and delta["post_likes_total"] == 3 and delta["ua_follows"] == 1
    assert delta["user_likes_28d"] == 1 and delta["user_impressions_28d"] == 1 and delta["user_following_count"] == 1
    assert delta["author_followers"] == 1
    assert (after[users[2]] - once[users[2]])[0, COLUMNS.index("post_likes_total")] == 1  # the third like, once
    online = store.get_online_features(features=[f"post_stats:{LAST_EVENT}"], entity_rows=[{"post_id": post}])
    assert online.to_dict()[LAST_EVENT] == [float(events[-2].id)]  # the newest event that touched the post


def test_events_a_build_already_counted_are_skipped(store: FeatureStore, built_world: BuiltWorld) -> None:
    """The batch rows carry the build's newest event id: relaying an old event again changes nothing."""
    hydrator = Hydrator.from_store(store, HydratorConfig(cache_ttl_s=0))
    engine = make_engine(built_world.db_url)
    with Session(engine) as session:
        old = session.query(Event).filter(Event.type == "like").order_by(Event.id.desc()).first()
        assert old is not None
        before = hydrator(old.actor_id, [old.post_id], [old.target_id], 1.8e9)
        pushed = push_events(store, [old])
    engine.dispose()
    assert pushed.get("post_stats", 0) == 0
    np.testing.assert_array_equal(hydrator(old.actor_id, [old.post_id], [old.target_id], 1.8e9), before)


def test_an_event_without_its_outbox_id_is_refused(store: FeatureStore) -> None:
    like = {"type": "like", "actor_id": 1, "post_id": 2, "target_id": 3, "created_at": datetime.now(UTC)}
    with pytest.raises(ValueError, match="outbox id"):
        push_events(store, [{**like, "id": None}])

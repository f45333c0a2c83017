"""A like pushed through the relay step is in the online features within a second."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from feast import FeatureStore
from sqlalchemy.orm import Session

from features.hydrate import Hydrator, HydratorConfig
from features.schema import service_columns
from features.stream.push import push_events
from social_core import outbox
from social_core.db import make_engine
from social_core.outbox import fetch_unprocessed


def test_a_like_is_online_within_a_second(store: FeatureStore, tmp_path, sqlite_template) -> None:
    import shutil

    shutil.copy(sqlite_template, tmp_path / "outbox.db")
    engine = make_engine(f"sqlite:///{tmp_path / 'outbox.db'}")
    hydrator = Hydrator.from_store(store, HydratorConfig(cache_ttl_s=0))
    columns = service_columns("ranker_v1")
    post, author, user = 777_000_001, 4242, 31
    before = hydrator(user, [post], [author], 1.8e9)
    with Session(engine) as session:
        outbox.emit(session, "impression", actor_id=user, post_id=post, target_id=author, now=datetime.now(UTC))
        outbox.emit(session, "like", actor_id=user, post_id=post, target_id=author, now=datetime.now(UTC))
        session.commit()
        started = time.perf_counter()
        pushed = push_events(store, fetch_unprocessed(session))
    after = hydrator(user, [post], [author], 1.8e9)
    elapsed = time.perf_counter() - started
    engine.dispose()
    assert elapsed <= 1.0, f"{elapsed:.2f} s"
    assert pushed["post_stats"] == 1 and pushed["user_author"] == 1
    delta = dict(zip(columns, (after - before)[0], strict=True))
    assert delta["post_likes_total"] == 1 and delta["post_likes_1h"] == 1 and delta["post_impressions_total"] == 1
    assert delta["user_likes_1d"] == 1 and delta["ua_interactions_28d"] == 1
    assert after[0, columns.index("post_engagement_rate")] == (1 + 0.05 * 20) / (1 + 20)

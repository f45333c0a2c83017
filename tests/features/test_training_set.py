"""Labels from later actions, and point-in-time features that never see the future."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from features.batch.pipeline import BatchConfig, build_features
from features.store import FeatureStoreConfig, apply, open_store
from features.training_set import TrainingSetConfig, build_training_set
from social_core import outbox

T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_like_after_the_impression_is_its_label_and_never_its_feature(engine: Engine, tmp_path) -> None:
    with Session(engine) as session:
        for user in (1, 2, 3):
            outbox.emit(session, "user_created", actor_id=user, target_id=user, now=_at(-600))
        payload = {"hashtags": ["a"], "mentions": [], "media_ids": [], "caption_length": 12}
        outbox.emit(session, "post_created", actor_id=3, post_id=1000, target_id=3, payload=payload, now=_at(0))
        outbox.emit(session, "impression", actor_id=1, post_id=1000, target_id=3, now=_at(10))
        outbox.emit(session, "like", actor_id=1, post_id=1000, target_id=3, now=_at(11))  # the future of row 1
        outbox.emit(session, "impression", actor_id=2, post_id=1000, target_id=3, now=_at(20))
        outbox.emit(session, "impression", actor_id=1, post_id=1000, target_id=3, now=_at(30))
        session.commit()
    config = FeatureStoreConfig(home=tmp_path, project="leak")
    build_features(engine, BatchConfig(config.data_dir))  # built AFTER everything: the like is in the parquet
    store = open_store(config)
    apply(store, config)
    rows = build_training_set(store, engine, TrainingSetConfig()).sort_values("impression_ts")
    first, second, third = (rows.iloc[i] for i in range(3))
    assert first["liked"] == 1 and first["post_likes_total"] == 0 and first["user_likes_28d"] == 0
    assert first["ua_interactions_28d"] == 0 and first["post_impressions_total"] == 0  # not even itself
    assert first["post_age_hours"] == pytest.approx((10 * 60 - 0.001) / 3600)
    assert second["liked"] == 0 and second["post_likes_total"] == 1 and second["post_impressions_total"] == 1
    assert third["liked"] == 0 and third["user_likes_28d"] == 1 and third["ua_interactions_28d"] == 1
    assert third["ua_hours_since_last"] == pytest.approx((19 * 60 - 0.001) / 3600)

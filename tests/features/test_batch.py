"""Batch aggregates against a brute-force recomputation from the raw events, and the outbox reader."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from features.batch.events import load_events
from features.batch.pipeline import BatchConfig, build_features
from features.repo.views import parquet_path
from features.schema import VIEWS, smoothed_rate
from features.store import FeatureStoreConfig
from social_core import outbox
from social_core.db import make_engine
from tests.features.conftest import BuiltWorld

DAY = 86_400_000


def _count(ev: pd.DataFrame, column: str, key: int, kinds: set[str], t: int, window: int | None) -> float:
    total = 0.0
    for kind, k, ts in zip(ev["type"].astype(str), ev[column], ev["ts_ms"], strict=True):
        if k == key and ts <= t and (window is None or ts > t - window):
            total += (kind in kinds) - (kind in {"unlike", "unsave"} and kinds & {"like", "save"} != set())
    return total


@pytest.fixture(scope="module")
def world_events(built_world: BuiltWorld) -> pd.DataFrame:
    engine = make_engine(built_world.db_url)
    frame = load_events(engine).frame
    engine.dispose()
    return frame


def _rows(built_world: BuiltWorld, view: str, n: int = 25) -> pd.DataFrame:
    frame = pd.read_parquet(parquet_path(FeatureStoreConfig(home=built_world.home).data_dir, view))
    assert list(frame.columns) == [*VIEWS[view][0], "event_timestamp", *VIEWS[view][1]]
    return frame.sample(min(n, len(frame)), random_state=1)


def _ms(ts: pd.Timestamp) -> int:
    return int(ts.value // 10**6)


def test_user_engagement_matches_brute_force(built_world: BuiltWorld, world_events: pd.DataFrame) -> None:
    ev = world_events
    for _, row in _rows(built_world, "user_engagement").iterrows():
        u, t = int(row["user_id"]), _ms(row["event_timestamp"])
        for w, window in (("1d", DAY), ("7d", 7 * DAY), ("28d", 28 * DAY)):
            assert row[f"user_likes_{w}"] == _count(ev, "actor_id", u, {"like"}, t, window)
            assert row[f"user_impressions_{w}"] == _count(ev, "actor_id", u, {"impression"}, t, window)
        eng = _count(ev, "actor_id", u, {"like", "comment", "save", "share"}, t, 7 * DAY)
        assert row["user_engagement_rate_7d"] == pytest.approx(smoothed_rate(eng, row["user_impressions_7d"]))
        follows = _count(ev, "actor_id", u, {"follow"}, t, None) - _count(ev, "actor_id", u, {"unfollow"}, t, None)
        assert row["user_following_count"] == follows


def test_post_stats_match_brute_force(built_world: BuiltWorld, world_events: pd.DataFrame) -> None:
    ev = world_events
    for _, row in _rows(built_world, "post_stats").iterrows():
        p, t = int(row["post_id"]), _ms(row["event_timestamp"])
        assert row["post_likes_total"] == _count(ev, "post_id", p, {"like"}, t, None)
        assert row["post_likes_1h"] == _count(ev, "post_id", p, {"like"}, t, 3_600_000)
        assert row["post_impressions_24h"] == _count(ev, "post_id", p, {"impression"}, t, DAY)
        assert row["post_saves_total"] == _count(ev, "post_id", p, {"save"}, t, None)


def test_author_and_pair_rows_match_brute_force(built_world: BuiltWorld, world_events: pd.DataFrame) -> None:
    ev = world_events
    for _, row in _rows(built_world, "author_stats").iterrows():
        a, t = int(row["author_id"]), _ms(row["event_timestamp"])
        assert row["author_followers"] == _count(ev, "target_id", a, {"follow"}, t, None)
        assert row["author_posts_7d"] == _count(ev, "target_id", a, {"post_created"}, t, 7 * DAY)
    for _, row in _rows(built_world, "user_author").iterrows():
        u, a, t = int(row["user_id"]), int(row["author_id"]), _ms(row["event_timestamp"])
        mine = ev[(ev["actor_id"] == u) & (ev["target_id"] == a) & (ev["ts_ms"] <= t)]
        engaged = mine[mine["type"].isin(["like", "comment", "save", "share"])]
        assert row["ua_interactions_28d"] == (engaged["ts_ms"] > t - 28 * DAY).sum()
        last = engaged["ts_ms"].max() / 1000.0 if len(engaged) else np.nan
        assert row["ua_last_interaction_ts"] == pytest.approx(last, nan_ok=True)
        assert row["ua_follows"] == float(mine["type"].isin(["follow"]).any())
        back = ev[(ev["actor_id"] == a) & (ev["target_id"] == u) & (ev["ts_ms"] <= t) & (ev["type"] == "follow")]
        assert row["ua_followed_by"] == float(len(back) > 0)


def test_windows_expire_at_the_build_time_row(engine: Engine, tmp_path) -> None:
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    with Session(engine) as session:
        outbox.emit(session, "like", actor_id=1, post_id=10, target_id=2, now=t0)
        outbox.emit(session, "follow", actor_id=1, target_id=2, now=t0 + timedelta(minutes=1))
        session.commit()
    report = build_features(engine, BatchConfig(tmp_path, as_of=t0 + timedelta(days=2)))
    assert report.events == 2
    users = pd.read_parquet(parquet_path(tmp_path, "user_engagement")).set_index("event_timestamp")
    users = users.iloc[1:]  # the epoch row of defaults first
    assert users["user_likes_1d"].tolist() == [1.0, 1.0, 0.0]  # at the like, at the follow, at as-of (2 days on)
    assert users["user_likes_7d"].tolist() == [1.0, 1.0, 1.0]
    assert users["user_following_count"].tolist() == [0.0, 1.0, 1.0]

"""Online and offline agree right after build + materialize; a stream-only change is reported as skew."""

from __future__ import annotations

from datetime import timedelta

from feast import FeatureStore

from features.skew import SkewConfig, check_skew
from features.stream.push import push_events
from social_core.db import make_engine
from tests.features.conftest import BuiltWorld


def test_no_skew_after_build_and_materialize_then_skew_after_a_stream_only_change(
    store: FeatureStore, built_world: BuiltWorld
) -> None:
    engine = make_engine(built_world.db_url)
    report = check_skew(store, engine, SkewConfig(sample=150))
    assert report.rows == 150 and report.ok, report.failing
    keys = __import__("features.skew", fromlist=["sample_keys"]).sample_keys(engine, SkewConfig(sample=150))[0]
    as_of = built_world.report.as_of
    likes = [
        {
            "type": "like",
            "actor_id": 10**6 + i,
            "post_id": int(p),
            "target_id": int(a),
            "payload": {},
            "created_at": as_of + timedelta(seconds=1),
        }  # type: ignore[operator]
        for i, (p, a) in enumerate(keys[["post_id", "author_id"]].drop_duplicates("post_id").to_numpy()[:100])
    ]
    push_events(store, likes)
    skewed = check_skew(store, engine, SkewConfig(sample=150))
    engine.dispose()
    assert "post_likes_total" in skewed.failing and not skewed.ok
    assert skewed.mismatch["user_likes_7d"] == 0.0

"""`FeedStack`: the feed and explore pipelines and what serving them needs, built once per app.

Everything tunable comes from `Settings`; everything live from the app: the engine, Redis, and the
served two-tower version (None before the first training: popular stands in, see `sources`). The
feature store is read through `OnlineFeatures` (defaults while it is missing or unreachable), and the
ranker through `RankerChoice` (the registry's champion, or the heuristic). Seen posts are recorded by
the routes for each page actually served, not by the pipeline for the whole cached list: a list is
ranked a few hundred items deep, and items the user never scrolled to must stay eligible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from candidates.two_tower.runtime import TwoTowerRuntime
from features.store import FeatureStoreConfig
from ranking.embeddings import IndexEmbeddings
from ranking.pipeline import Pipeline, RankingConfig, explore_pipeline, feed_pipeline
from ranking.seen import SeenStore
from ranking.value_model import ValueWeights
from serving.feed.cache import CacheConfig, RankedListCache
from serving.feed.features import OnlineFeatures, StoreReader, TowerUserFeatures
from serving.feed.ranker import RankerChoice
from serving.feed.sources import explore_sources, feed_sources
from serving.feed.tray import TrayRanker
from serving.models import WatchConfig
from serving.settings import Settings
from training.registry import RANKER


@dataclass
class FeedStack:
    pipelines: dict[str, Pipeline]  # "feed", "explore"
    degraded: dict[str, tuple[str, ...]]  # fallbacks taken at build time, reported on every page
    cache: RankedListCache
    seen: SeenStore
    ranker: RankerChoice
    features: OnlineFeatures
    weights: ValueWeights
    depth: int  # items ranked and cached per refresh
    two_tower_version: str | None
    tray: TrayRanker

    def close(self) -> None:
        self.ranker.close()


def build_feed_stack(settings: Settings, engine: Engine, redis: Any, two_tower: TwoTowerRuntime | None) -> FeedStack:
    store = FeatureStoreConfig(home=settings.home, redis_url=settings.redis_url)
    features = OnlineFeatures(store, settings.feature_reader)
    dense = TowerUserFeatures(features)
    fanout = settings.fanout_config
    weights = ValueWeights().override(settings.ranking_weights)
    config = RankingConfig(weights=weights, record_seen=False)
    seen = SeenStore(redis)
    reader = StoreReader(features)
    embeddings = IndexEmbeddings(two_tower.index) if two_tower is not None else None
    feed, feed_degraded = feed_sources(settings.feed_candidates, engine, redis, fanout, two_tower, dense)
    explore, explore_degraded = explore_sources(settings.explore_candidates, engine, two_tower, dense)
    pipelines = {
        "feed": feed_pipeline(feed, engine, reader, seen=seen, embeddings=embeddings, config=config),
        "explore": explore_pipeline(explore, engine, reader, seen=seen, embeddings=embeddings, config=config),
    }
    cache_dir = settings.home / "models" / "registry"
    ranker = RankerChoice(
        settings.ranker, WatchConfig(settings.tracking_uri, RANKER, cache_dir, refresh_s=settings.model_refresh_s)
    )
    return FeedStack(
        pipelines=pipelines,
        degraded={"feed": feed_degraded, "explore": explore_degraded},
        cache=RankedListCache(redis, CacheConfig(ttl_s=settings.feed_cache_ttl_s)),
        seen=seen,
        ranker=ranker,
        features=features,
        weights=weights,
        depth=settings.feed_cache_size,
        two_tower_version=two_tower.version if two_tower is not None else None,
        tray=TrayRanker(features, ranker, weights),
    )

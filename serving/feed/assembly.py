"""`FeedStack`: the feed and explore pipelines and what serving them needs, built once per app.

Everything tunable comes from `Settings`; everything live from the app: the engine, Redis, and the
two-tower version serving at start-up (None before the first training: popular stands in, see
`sources`). Both models are followed while the app runs: the two-tower through `TwoTowerChampion`,
which swaps a new champion's pipelines in whole (`retrieval`), and the ranker through `RankerChoice`
(the registry's champion, or the heuristic); both start watching on the first ranked request. The
feature store is read through `OnlineFeatures` (defaults while it is missing or unreachable). Seen
posts are recorded by the routes for each page actually served, not by the pipeline for the whole
cached list: a list is ranked a few hundred items deep, and items the user never scrolled to must stay
eligible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from candidates.two_tower.runtime import TwoTowerRuntime
from features.catalogue import CatalogueConfig, PostCatalogue
from features.store import FeatureStoreConfig
from ranking.pages.cache import CacheConfig, RankedListCache
from ranking.pipeline import RankingConfig
from ranking.seen import SeenStore
from ranking.value_model import ValueWeights
from serving.feed.features import OnlineFeatures, StoreReader, TowerUserFeatures
from serving.feed.ranker import RankerChoice
from serving.feed.retrieval import LiveRetrieval, Retrieval, RetrievalBuilder
from serving.feed.tray import TrayRanker
from serving.models import WatchConfig
from serving.post_contents import PostContents
from serving.settings import Settings
from serving.two_tower import TwoTowerChampion
from training.registry import RANKER


@dataclass
class FeedStack:
    retrieval: LiveRetrieval  # pipelines, their fallbacks and the two-tower version, swapped as one
    two_tower: TwoTowerChampion  # rebuilds `retrieval` when the champion moves; the relay indexes into it
    cache: RankedListCache
    seen: SeenStore
    ranker: RankerChoice
    features: OnlineFeatures
    weights: ValueWeights
    depth: int  # items ranked and cached per refresh
    tray: TrayRanker
    contents: PostContents  # media and hashtags of the posts served lately, presented

    def retrieval_now(self) -> Retrieval:
        """The retrieval of one whole request (keep the object: a swap mid-request must not mix versions).
        The first call starts following the two-tower champion."""
        self.two_tower.watch()
        return self.retrieval.current

    def close(self) -> None:
        self.ranker.close()
        self.two_tower.stop()


def build_feed_stack(settings: Settings, engine: Engine, redis: Any, two_tower: TwoTowerRuntime | None) -> FeedStack:
    store = FeatureStoreConfig(home=settings.home, redis_url=settings.redis_url)
    catalogue = PostCatalogue(engine, CatalogueConfig(refresh_s=settings.catalogue_refresh_s))
    features = OnlineFeatures(store, settings.feature_reader, catalogue)
    weights = ValueWeights().override(settings.ranking_weights)
    seen = SeenStore(redis)
    config = RankingConfig(weights=weights, record_seen=False, exploration=settings.exploration_config)
    reader = StoreReader(features)
    dense = TowerUserFeatures(features, reader.service)
    build = RetrievalBuilder(settings, engine, redis, catalogue, reader, dense, seen, config)
    retrieval = LiveRetrieval(build, two_tower)
    cache_dir = settings.home / "models" / "registry"
    watch = WatchConfig(settings.tracking_uri, RANKER, cache_dir, refresh_s=settings.model_refresh_s)
    ranker = RankerChoice(settings.ranker, watch, compile_trees=settings.compiled_trees)
    return FeedStack(
        retrieval=retrieval,
        two_tower=TwoTowerChampion(settings, engine, two_tower, on_swap=retrieval.use),
        cache=RankedListCache(redis, CacheConfig(ttl_s=settings.feed_cache_ttl_s), catalogue.usernames_of),
        seen=seen,
        ranker=ranker,
        features=features,
        weights=weights,
        depth=settings.feed_cache_size,
        tray=TrayRanker(features, ranker, weights),
        contents=PostContents(),
    )

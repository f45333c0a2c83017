"""`Retrieval`: the part of the feed that depends on the served two-tower version, swapped as one piece.

The pipelines' two-tower source and their MMR selector read one version's model and index; the
fallbacks taken without a version (`MISSING_INDEX`) and the version named in responses go with them.
When the champion moves, `serving.two_tower.TwoTowerChampion` calls `LiveRetrieval.use`: a new
`Retrieval` is built beside the serving one and swapped in with one reference assignment. A request
reads `current` once and keeps that object to its end, so its candidates, its degraded reasons and the
version it reports always come from one runtime, and a new champion serves from the next request.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from candidates.two_tower.runtime import TwoTowerRuntime
from features.catalogue import PostCatalogue
from ranking.degraded import Degraded
from ranking.embeddings import IndexEmbeddings
from ranking.pipeline import Pipeline, RankingConfig, explore_pipeline, feed_pipeline
from ranking.seen import SeenStore
from serving.feed.features import StoreReader
from serving.feed.sources import DenseFeatures, explore_sources, feed_sources
from serving.settings import Settings


@dataclass(frozen=True)
class Retrieval:
    pipelines: Mapping[str, Pipeline]  # "feed", "explore"
    degraded: Mapping[str, tuple[Degraded, ...]]  # fallbacks taken when it was built, reported on every page
    runtime: TwoTowerRuntime | None  # None before the first two-tower training

    @property
    def two_tower_version(self) -> str | None:
        return self.runtime.version if self.runtime is not None else None


@dataclass(frozen=True)
class RetrievalBuilder:
    """Builds a `Retrieval` around one runtime from what does not change with it (one per app)."""

    settings: Settings
    engine: Engine
    redis: Any
    catalogue: PostCatalogue  # one for both pipelines and every two-tower version
    reader: StoreReader
    dense: DenseFeatures  # the user tower's online features
    seen: SeenStore
    config: RankingConfig

    def __call__(self, runtime: TwoTowerRuntime | None) -> Retrieval:
        settings, engine, reader, seen, config = self.settings, self.engine, self.reader, self.seen, self.config
        catalogue = self.catalogue
        embeddings = IndexEmbeddings(runtime.index) if runtime is not None else None
        fanout = settings.fanout_config
        feed, feed_degraded = feed_sources(
            settings.feed_candidates, engine, self.redis, fanout, runtime, self.dense, catalogue
        )
        explore, explore_degraded = explore_sources(settings.explore_candidates, engine, runtime, self.dense, catalogue)
        pipelines = {
            "feed": feed_pipeline(feed, engine, catalogue, reader, seen=seen, embeddings=embeddings, config=config),
            "explore": explore_pipeline(
                explore, engine, catalogue, reader, seen=seen, embeddings=embeddings, config=config
            ),
        }
        return Retrieval(pipelines, {"feed": feed_degraded, "explore": explore_degraded}, runtime)


class LiveRetrieval:
    """The `Retrieval` serving now: read `current` once per request; `use` swaps in another version's."""

    def __init__(self, build: RetrievalBuilder, runtime: TwoTowerRuntime | None) -> None:
        self.build = build
        self.current = build(runtime)

    def use(self, runtime: TwoTowerRuntime) -> None:
        """Serve `runtime` from the next request on: built aside, then one assignment (atomic in Python)."""
        self.current = self.build(runtime)

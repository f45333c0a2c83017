"""The candidate sources of the feed and explore, built from settings, each asked for its own count.

Feed: following (fan-out set + celebrity pull), fresh, social proof, popular, and the two-tower ANN
out of network. Explore: the two-tower ANN over the whole catalogue (the pipeline drops followed
authors), popular and social proof. Before the first two-tower training there is no FAISS index: the
popular source then takes over the two-tower's count, and every page says so (`MISSING_INDEX`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from candidates.fanout import FanoutConfig
from candidates.sources.base import Source
from candidates.sources.following import FollowingConfig, FollowingSource
from candidates.sources.fresh import FreshSource
from candidates.sources.popular import PopularSource
from candidates.sources.social_proof import SocialProofSource
from candidates.sources.two_tower import TwoTowerSource, TwoTowerSourceConfig
from candidates.two_tower.runtime import TwoTowerRuntime
from candidates.types import CandidateQuery, CandidateSource, Proposals
from features.catalogue import PostCatalogue
from ranking.degraded import Degraded

MISSING_INDEX = Degraded.TWO_TOWER_INDEX_MISSING
DenseFeatures = Callable[[int], np.ndarray | None]


class Capped:
    """A source asked for `limit` candidates whatever the request's `per_source` says.

    It calls the wrapped source's unguarded `fetch`, so a failure still reaches the pipeline, which
    skips the source and reports it in `served_by.failed_sources`.
    """

    def __init__(self, source: CandidateSource, limit: int) -> None:
        self.source, self.limit, self.name = source, limit, source.name

    def __call__(self, query: CandidateQuery) -> Proposals:
        capped = replace(query, limit=self.limit)
        return self.source.fetch(capped) if isinstance(self.source, Source) else self.source(capped)


def feed_sources(
    counts: Mapping[str, int],
    engine: Engine,
    redis: Any,
    fanout: FanoutConfig,
    two_tower: TwoTowerRuntime | None,
    dense: DenseFeatures,
    catalogue: PostCatalogue,
) -> tuple[list[CandidateSource], tuple[Degraded, ...]]:
    """The feed's sources (in merge order) and the fallbacks their construction took."""
    built: dict[str, CandidateSource] = {
        "following": FollowingSource(redis, engine, FollowingConfig(fanout)),
        "fresh": FreshSource(engine),
        "social_proof": SocialProofSource(engine),
        "popular": PopularSource(engine),
    }
    return _select(counts, built, engine, catalogue, two_tower, TwoTowerSourceConfig(out_of_network=True), dense)


def explore_sources(
    counts: Mapping[str, int],
    engine: Engine,
    two_tower: TwoTowerRuntime | None,
    dense: DenseFeatures,
    catalogue: PostCatalogue,
) -> tuple[list[CandidateSource], tuple[Degraded, ...]]:
    built: dict[str, CandidateSource] = {"popular": PopularSource(engine), "social_proof": SocialProofSource(engine)}
    return _select(counts, built, engine, catalogue, two_tower, TwoTowerSourceConfig(out_of_network=False), dense)


def _select(
    counts: Mapping[str, int],
    built: dict[str, CandidateSource],
    engine: Engine,
    catalogue: PostCatalogue,
    two_tower: TwoTowerRuntime | None,
    tower_config: TwoTowerSourceConfig,
    dense: DenseFeatures,
) -> tuple[list[CandidateSource], tuple[Degraded, ...]]:
    unknown = sorted(set(counts) - set(built) - {"two_tower"})
    if unknown:
        raise ValueError(f"unknown candidate source(s) {', '.join(unknown)}; known: {', '.join([*built, 'two_tower'])}")
    wanted = dict(counts)
    degraded: tuple[Degraded, ...] = ()
    if "two_tower" in wanted:
        if two_tower is not None:
            built["two_tower"] = TwoTowerSource(
                two_tower.model, two_tower.index, engine, catalogue, tower_config, dense
            )
        else:
            tower = wanted.pop("two_tower")
            wanted["popular"] = max(wanted.get("popular", 0), tower)
            degraded = (MISSING_INDEX,)
    sources: list[CandidateSource] = [Capped(built[name], n) for name, n in wanted.items() if n > 0]
    return sources, degraded

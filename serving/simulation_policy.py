"""Wires the `model` simulation policy: the feed endpoint's pipeline over the trained models.

Serving composes it because only serving may wire the read path (its candidate sources, its settings
for source counts, value weights and fan-out) together; `training.simulation.model_policy` adapts the
built pipeline to the simulated clock. Differences from the live feed, each because the simulation
plays past times: the fan-out sets live in an in-process fakeredis (rebuilt from the database on first
read, filtered to the session's time), features are the batch views as of the session's time
(`AsOfReader`), and the seen store is the simulation's own impression log.

The ranker is the registry's champion when one is registered and loads, else the newest ranker folder
under `{home}/models/ranker/`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import fakeredis
from sqlalchemy.engine import Engine

from candidates.two_tower.runtime import TwoTowerRuntime
from candidates.two_tower.user_features import SERVICE as TWO_TOWER_SERVICE
from candidates.two_tower.user_features import UserFeatures
from features.catalogue import PostCatalogue
from features.hydrate import Hydrator, HydratorConfig
from features.store import FeatureStoreConfig
from ranking.embeddings import IndexEmbeddings
from ranking.models.manifest import MANIFEST, RankerFolderError
from ranking.pipeline import RankingConfig, feed_pipeline
from ranking.scorers.registry import ScorerConfig
from ranking.value_model import ValueWeights
from serving.feed.ranker import FamilyModel, load_family_model
from serving.feed.sources import feed_sources
from serving.models import ChampionModel, WatchConfig
from serving.settings import Settings
from training.registry import RANKER
from training.simulation.errors import SimulationError
from training.simulation.feature_replay import AsOfFeatures, AsOfReader
from training.simulation.model_policy import LoggedImpressions, ModelPolicy, ModelPolicyConfig
from training.simulation.policies import Policy, PolicyContext, register_policy

log = logging.getLogger(__name__)
NO_RANKER = (
    "no trained model is registered yet (no ranker under {home}): run `pixelrank train ranker` "
    "(or `pixelrank train all`) first"
)


@dataclass
class ModelPolicies:
    """The `model` policies built since registration (a benchmark reads their stats)."""

    ranker: FamilyModel
    built: list[ModelPolicy] = field(default_factory=list)


def find_ranker(settings: Settings) -> FamilyModel:
    """The champion of `pixelrank-ranker`, else the newest local ranker folder; `SimulationError` if none."""
    champion = _champion(settings)
    if champion is not None:
        return champion
    root = settings.home / "models" / "ranker"
    folders = sorted((f for f in root.glob("*") if (f / MANIFEST).is_file()), key=lambda f: f.name, reverse=True)
    for folder in folders:
        try:
            return load_family_model(folder, folder.name)
        except (RankerFolderError, OSError, ValueError):
            log.warning("skipping unreadable ranker folder %s", folder, exc_info=True)
    raise SimulationError(NO_RANKER.format(home=settings.home))


def register_model_policy(
    settings: Settings, engine: Engine, ranker: FamilyModel, config: ModelPolicyConfig | None = None
) -> ModelPolicies:
    """Register `POLICIES["model"]` for sessions against `engine` and `settings.home`."""
    policies = ModelPolicies(ranker)
    policy_config = config or ModelPolicyConfig()

    def build(context: PolicyContext) -> Policy:
        reader = AsOfReader(FeatureStoreConfig(home=settings.home).data_dir)
        two_tower = TwoTowerRuntime.latest(settings.home)
        dense = UserFeatures(Hydrator(reader, HydratorConfig(service=TWO_TOWER_SERVICE, cache_ttl_s=0.0)))
        fanout = settings.fanout_config
        redis = fakeredis.FakeRedis()
        catalogue = PostCatalogue(engine)
        sources, degraded = feed_sources(settings.feed_candidates, engine, redis, fanout, two_tower, dense, catalogue)
        for reason in degraded:
            log.warning("model policy: %s", reason)  # e.g. no two-tower version yet: popular takes its share
        weights = ValueWeights().override(settings.ranking_weights)
        ranking = RankingConfig(
            scorer=ScorerConfig(ranker.family),
            weights=weights,
            record_seen=False,
            exploration=policy_config.exploration,
        )
        model = ranker.model
        pipeline = feed_pipeline(
            sources,
            engine,
            catalogue,
            AsOfFeatures(reader),
            seen=LoggedImpressions(context.index),
            load_model=lambda: model,
            embeddings=IndexEmbeddings(two_tower.index) if two_tower is not None else None,
            config=ranking,
        )
        policy = ModelPolicy(context, pipeline, reader, model.version, policy_config)
        policies.built.append(policy)
        return policy

    register_policy("model", build)
    return policies


def _champion(settings: Settings) -> FamilyModel | None:
    uri = settings.tracking_uri
    if uri.startswith("sqlite:///") and not Path(uri.removeprefix("sqlite:///")).is_file():
        return None  # no local tracking store yet: nothing registered (and do not create one)
    watch = WatchConfig(uri, RANKER, settings.home / "models" / "registry")
    champion = ChampionModel(watch, load_family_model)
    try:
        champion.refresh()
    except Exception:  # an unreachable registry or a broken version: fall back to the local folders
        log.warning("could not load the %s champion; using the newest local ranker", RANKER, exc_info=True)
        return None
    loaded = champion.current()
    return loaded.model if loaded is not None else None

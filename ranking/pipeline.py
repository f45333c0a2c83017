"""`Pipeline`: candidate sources → hydrators → filters → features → scorer + value model → selectors →
explanations → side effects, each stage timed and counted into the `PipelineResult`.

A pipeline holds only already-built stages; `feed_pipeline` and `explore_pipeline` compose the two
products from components the caller built (sources, engine, feature reader, seen store, model loader).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.engine import Engine

from candidates.types import CandidateQuery, CandidateSource
from ranking.explain import Explainer
from ranking.filters.base import Filter
from ranking.filters.hidden import HiddenConfig, HiddenFilter
from ranking.filters.network import FollowedAuthorFilter, UnfollowedFilter
from ranking.filters.seen import SeenFilter
from ranking.filters.visibility import BlockedFilter, DeletedFilter, OwnPostFilter, PrivateFilter
from ranking.hydrators.base import Hydrator
from ranking.hydrators.features import FeatureHydrator, FeatureReader
from ranking.hydrators.posts import PostFactsCache, PostFactsHydrator
from ranking.hydrators.seen import SeenHydrator
from ranking.hydrators.viewer import ViewerGraphHydrator
from ranking.model import RankerModel
from ranking.result import PipelineResult, ServedBy, ServedItem, StageStat
from ranking.retrieval import retrieve_all
from ranking.scorers.registry import ScorerConfig
from ranking.scoring import ScoreStage, Scoring, no_model
from ranking.seen import SeenStore
from ranking.selectors.author_diversity import AuthorDiversity, AuthorDiversityConfig
from ranking.selectors.base import Selector
from ranking.selectors.explore_grid import ExploreGridConfig, ExploreGridMix
from ranking.selectors.mmr import MMR, MMRConfig, PostEmbeddings
from ranking.side_effects import RecordSeen, SideEffect
from ranking.types import RankingContext, RankingRequest, ScoredCandidate, ViewerFacts
from ranking.value_model import ValueWeights


@dataclass
class Pipeline:
    name: str
    sources: Sequence[CandidateSource]
    hydrators: Sequence[Hydrator]  # before the filters: the facts they need
    filters: Sequence[Filter]
    feature_hydrator: Hydrator  # after the filters: model features for the survivors only
    scoring: Scoring
    selectors: Sequence[Selector] = ()
    side_effects: Sequence[SideEffect] = ()
    explainer: Explainer = field(default_factory=Explainer)
    clock: Callable[[], float] = time.time

    def __call__(self, request: RankingRequest) -> PipelineResult:
        if request.limit < 1:
            raise ValueError("limit must be at least 1")
        weights = self.scoring.weights.override(request.weight_overrides)  # a bad experiment fails before work
        now = request.now_ts if request.now_ts is not None else self.clock()
        context = RankingContext(request, now, ViewerFacts(request.user_id))
        retrieved = retrieve_all(self.sources, CandidateQuery(request.user_id, limit=request.per_source, now_ts=now))
        for source in retrieved.failed:
            context.degrade(f"source {source} failed: skipped")
        run = _Timed(list(retrieved.stats))
        # `merge` made each candidate's sources its own dict: taken over, not copied again (`ScoredCandidate.of`).
        candidates = [ScoredCandidate(c.post_id, c.author_id, c.sources) for c in retrieved.candidates]
        for hydrator in self.hydrators:
            candidates = run("hydrator", hydrator.name, candidates, partial(_hydrated, hydrator, context))
        for f in self.filters:
            candidates = run("filter", f.name, candidates, partial(_kept, f, context))
        features = self.feature_hydrator
        candidates = run("hydrator", features.name, candidates, partial(_hydrated, features, context))
        started = time.perf_counter()
        scorer = ScoreStage(self.scoring)(context, candidates, weights)
        candidates.sort(key=lambda c: -c.score)
        run.record("scorer", scorer.kind, started, len(candidates), len(candidates))
        for selector in self.selectors:
            candidates = run("selector", selector.name, candidates, partial(selector, context))
        explainer = self.explainer
        served = run("explain", explainer.name, candidates[: request.limit], lambda cs: explainer(context, cs, scorer))
        for effect in self.side_effects:
            run("side_effect", effect.name, served, partial(_effected, effect, context))
        answered, failed = tuple(retrieved.answered), tuple(retrieved.failed)
        served_by = ServedBy(self.name, scorer.kind, scorer.version, answered, failed, tuple(context.degraded))
        return PipelineResult([_item(c) for c in served], served_by, run.stats)


Step = Callable[[list[ScoredCandidate]], list[ScoredCandidate]]


@dataclass
class _Timed:
    """Runs one stage at a time and records its duration and candidate counts."""

    stats: list[StageStat]

    def __call__(self, kind: str, name: str, candidates: list[ScoredCandidate], step: Step) -> list[ScoredCandidate]:
        started = time.perf_counter()
        out = step(candidates)
        self.record(kind, name, started, len(candidates), len(out))
        return out

    def record(self, kind: str, name: str, started: float, count_in: int, count_out: int) -> None:
        self.stats.append(StageStat(kind, name, time.perf_counter() - started, count_in, count_out))


def _hydrated(hydrator: Hydrator, context: RankingContext, candidates: list[ScoredCandidate]) -> list[ScoredCandidate]:
    hydrator(context, candidates)
    return candidates


def _kept(rule: Filter, context: RankingContext, candidates: list[ScoredCandidate]) -> list[ScoredCandidate]:
    return rule(context, candidates).kept


def _effected(effect: SideEffect, context: RankingContext, served: list[ScoredCandidate]) -> list[ScoredCandidate]:
    effect(context, served)
    return served


def _item(candidate: ScoredCandidate) -> ServedItem:
    if candidate.author_id is None:  # the deleted filter drops these; a pipeline without it must not serve them
        raise ValueError(f"post {candidate.post_id} has no known author")
    return ServedItem(
        candidate.post_id, candidate.author_id, candidate.score, candidate.reason, tuple(candidate.sources)
    )


@dataclass(frozen=True)
class RankingConfig:
    """Everything tunable in the feed and explore pipelines (serving fills it from settings)."""

    scorer: ScorerConfig = field(default_factory=ScorerConfig)
    weights: ValueWeights = field(default_factory=ValueWeights)
    hidden: HiddenConfig = field(default_factory=HiddenConfig)
    mmr: MMRConfig = field(default_factory=MMRConfig)
    diversity: AuthorDiversityConfig = field(default_factory=AuthorDiversityConfig)
    grid: ExploreGridConfig = field(default_factory=ExploreGridConfig)  # explore only
    seen_last_n: int | None = None  # None: every impression the store keeps
    record_seen: bool = True  # served items are added to the seen store


def feed_pipeline(
    sources: Sequence[CandidateSource],
    engine: Engine,
    features: FeatureReader,
    *,
    seen: SeenStore | None = None,
    load_model: Callable[[], RankerModel | None] = no_model,
    embeddings: PostEmbeddings | None = None,
    config: RankingConfig | None = None,
    post_facts: PostFactsCache | None = None,  # facts kept between rankings (serving shares one per app)
) -> Pipeline:
    """The home feed: followed accounts and recommendations, visible, unseen, diversified by topic and author."""
    config = config or RankingConfig()
    selectors: list[Selector] = [MMR(embeddings, config.mmr)] if embeddings is not None else []
    selectors.append(AuthorDiversity(config.diversity))
    filters: list[Filter] = [UnfollowedFilter()]
    return _compose("feed", sources, engine, features, seen, post_facts, load_model, config, filters, selectors)


def explore_pipeline(
    sources: Sequence[CandidateSource],
    engine: Engine,
    features: FeatureReader,
    *,
    seen: SeenStore | None = None,
    load_model: Callable[[], RankerModel | None] = no_model,
    embeddings: PostEmbeddings | None = None,
    config: RankingConfig | None = None,
    post_facts: PostFactsCache | None = None,  # facts kept between rankings (serving shares one per app)
) -> Pipeline:
    """Explore: out-of-network only (never a followed or blocked author), mixed by source over the grid."""
    config = config or RankingConfig()
    selectors: list[Selector] = [MMR(embeddings, config.mmr)] if embeddings is not None else []
    selectors += [ExploreGridMix(config.grid), AuthorDiversity(config.diversity)]
    filters: list[Filter] = [FollowedAuthorFilter()]
    return _compose("explore", sources, engine, features, seen, post_facts, load_model, config, filters, selectors)


def _compose(
    name: str,
    sources: Sequence[CandidateSource],
    engine: Engine,
    features: FeatureReader,
    seen: SeenStore | None,
    post_facts: PostFactsCache | None,
    load_model: Callable[[], RankerModel | None],
    config: RankingConfig,
    extra_filters: list[Filter],
    selectors: list[Selector],
) -> Pipeline:
    hydrators: list[Hydrator] = [PostFactsHydrator(engine, post_facts), ViewerGraphHydrator(engine)]
    filters: list[Filter] = [DeletedFilter(), OwnPostFilter(), BlockedFilter(), *extra_filters, PrivateFilter()]
    effects: list[SideEffect] = []
    if seen is not None:
        hydrators.append(SeenHydrator(seen, config.seen_last_n))
        filters.append(SeenFilter())
        effects += [RecordSeen(seen)] if config.record_seen else []
    filters.append(HiddenFilter(config.hidden))
    scoring = Scoring(config.scorer, load_model, config.weights)
    return Pipeline(name, sources, hydrators, filters, FeatureHydrator(features), scoring, selectors, effects)

"""`Pipeline`: query hydrators → candidate sources → hydrators → filters → features → scorer + value model → selectors →
explanations → side effects, each stage timed and counted into the `PipelineResult`.

Sources propose columns (`Proposals`) and the candidates travel as one `Frame` of columns: a filter's
mask and a selector's order are applied with `Frame.take`, and the served rows leave as a `ServedList`
(objects only for the rows a page shows). A pipeline is built once and holds only already-built
stages; a request brings what is its own (viewer, weights, knobs), and may pin the scoring it is
served with (`scoring=`: the champion of that moment). `feed_pipeline` and `explore_pipeline` compose
the two products from components the caller built (sources, engine, catalogue, feature reader, seen
store, model loader).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

import numpy as np
from sqlalchemy.engine import Engine

from candidates.types import CandidateQuery, CandidateSource
from features.catalogue import PostCatalogue
from ranking.degraded import Degraded
from ranking.explain import Explainer
from ranking.filters.base import Filter
from ranking.filters.hidden import HiddenConfig, HiddenFilter
from ranking.filters.network import FollowedAuthorFilter, UnfollowedFilter
from ranking.filters.seen import SeenFilter
from ranking.filters.visibility import BlockedFilter, DeletedFilter, OwnPostFilter, PrivateFilter
from ranking.frame import Frame, empty
from ranking.hydrators.base import Hydrator, QueryHydrator
from ranking.hydrators.features import FeatureHydrator, FeatureReader
from ranking.hydrators.posts import PostFactsHydrator
from ranking.hydrators.seen import SeenHydrator
from ranking.hydrators.viewer import ViewerGraphHydrator
from ranking.model import RankerModel
from ranking.result import PipelineResult, ServedBy, ServedList, ServedRows, StageStat
from ranking.retrieval import retrieve_all
from ranking.scorers.registry import ScorerConfig
from ranking.scoring import ScoreStage, Scoring, no_model
from ranking.seen import SeenStore
from ranking.selectors.author_diversity import AuthorDiversity, AuthorDiversityConfig
from ranking.selectors.base import Selector
from ranking.selectors.exploration import Exploration, ExplorationConfig
from ranking.selectors.explore_grid import ExploreGridConfig, ExploreGridMix
from ranking.selectors.mmr import MMR, MMRConfig, PostEmbeddings
from ranking.selectors.near_duplicates import NearDuplicates, NearDuplicatesConfig
from ranking.selectors.preferences import PreferenceBoost
from ranking.side_effects import RecordSeen, SideEffect
from ranking.types import RankingContext, RankingRequest, ViewerFacts
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
    query_hydrators: Sequence[QueryHydrator] = ()  # before the sources: what they and the filters need of the viewer
    clock: Callable[[], float] = time.time

    def __call__(self, request: RankingRequest, scoring: Scoring | None = None) -> PipelineResult:
        if request.limit < 1:
            raise ValueError("limit must be at least 1")
        scoring = scoring or self.scoring
        weights = scoring.weights.override(request.weight_overrides)  # a bad experiment fails before work
        now = request.now_ts if request.now_ts is not None else self.clock()
        context = RankingContext(request, now, ViewerFacts(request.user_id), weights)
        run = _Timed([])
        for query_hydrator in self.query_hydrators:
            run("query", query_hydrator.name, empty(), partial(_asked, query_hydrator, context))
        followees = context.viewer.followers_of if self.query_hydrators else None
        query = CandidateQuery(request.user_id, limit=request.per_source, now_ts=now, followees=followees)
        retrieved = retrieve_all(self.sources, query)
        if retrieved.failed:
            context.degrade(Degraded.SOURCE_FAILED)
        run.stats += retrieved.stats
        frame = retrieved.frame
        for hydrator in self.hydrators:
            run("hydrator", hydrator.name, frame, partial(hydrator, context))
        for rule in self.filters:
            frame = run("filter", rule.name, frame, partial(_kept, rule, context))
        run("hydrator", self.feature_hydrator.name, frame, partial(self.feature_hydrator, context))
        frame = run("scorer", lambda: _kind(context), frame, partial(ScoreStage(scoring), context))
        for selector in self.selectors:
            frame = run("selector", selector.name, frame, partial(_ordered, selector, context))
        served = frame.take(np.arange(min(request.limit, len(frame))))
        run("explain", self.explainer.name, served, partial(self.explainer, context))
        for effect in self.side_effects:
            run("side_effect", effect.name, served, partial(effect, context))
        answered, failed = tuple(retrieved.answered), tuple(retrieved.failed)
        kind, version = _kind(context), context.scorer.version if context.scorer else ""
        served_by = ServedBy(self.name, kind, version, answered, failed, tuple(context.degraded))
        _check_authors(served)
        listed = ServedList.of(served, self.explainer.usernames)
        return PipelineResult(listed, served_by, run.stats, ServedRows.of(served), context.explored)


@dataclass
class _Timed:
    """Runs one stage at a time and records its duration and candidate counts (a stage that returns
    nothing, a hydrator or a side effect, keeps the frame it was given)."""

    stats: list[StageStat]

    def __call__(
        self, kind: str, name: str | Callable[[], str], frame: Frame, step: Callable[[Frame], Frame | None]
    ) -> Frame:
        """`name` may be asked after the step (the scorer's kind is known once it has scored)."""
        started = time.perf_counter()
        out = step(frame)
        out = frame if out is None else out
        seconds = time.perf_counter() - started
        self.stats.append(StageStat(kind, name if isinstance(name, str) else name(), seconds, len(frame), len(out)))
        return out


def _kind(context: RankingContext) -> str:
    return context.scorer.kind if context.scorer is not None else "none"


def _asked(hydrator: QueryHydrator, context: RankingContext, _: Frame) -> None:
    hydrator(context)


def _kept(rule: Filter, context: RankingContext, frame: Frame) -> Frame:
    removed = rule(context, frame)
    return frame.take(~removed) if removed.any() else frame  # most filters remove nothing from most rankings


def _ordered(selector: Selector, context: RankingContext, frame: Frame) -> Frame:
    return frame.take(selector(context, frame))


def _check_authors(served: Frame) -> None:
    if (served.author_id < 0).any():  # the deleted filter drops these; a pipeline without it must not serve them
        raise ValueError(f"post {int(served.post_id[served.author_id < 0][0])} has no known author")


@dataclass(frozen=True)
class RankingConfig:
    """Everything tunable in the feed and explore pipelines (serving fills it from settings)."""

    scorer: ScorerConfig = field(default_factory=ScorerConfig)
    weights: ValueWeights = field(default_factory=ValueWeights)
    hidden: HiddenConfig = field(default_factory=HiddenConfig)
    mmr: MMRConfig = field(default_factory=MMRConfig)
    diversity: AuthorDiversityConfig = field(default_factory=AuthorDiversityConfig)
    near_duplicates: NearDuplicatesConfig = field(default_factory=NearDuplicatesConfig)
    grid: ExploreGridConfig = field(default_factory=ExploreGridConfig)  # explore only
    exploration: ExplorationConfig = field(default_factory=ExplorationConfig)  # feed only
    seen_last_n: int | None = None  # None: every impression the store keeps
    record_seen: bool = True  # served items are added to the seen store


def feed_pipeline(
    sources: Sequence[CandidateSource],
    engine: Engine,
    catalogue: PostCatalogue,
    features: FeatureReader,
    *,
    seen: SeenStore | None = None,
    load_model: Callable[[], RankerModel | None] = no_model,
    embeddings: PostEmbeddings | None = None,
    config: RankingConfig | None = None,
) -> Pipeline:
    """The home feed: followed accounts and recommendations, visible, unseen, diversified by topic and author,
    one picture once a page."""
    config = config or RankingConfig()
    explores = config.exploration.rate > 0
    spacing, head = config.near_duplicates.feed_spacing, config.exploration.pool if explores else 0
    selectors = [*feed_selectors(embeddings, config), NearDuplicates(config.near_duplicates, spacing, head)]
    selectors += [Exploration(config.exploration)] if explores else []
    filters: list[Filter] = [UnfollowedFilter()]
    return _compose("feed", sources, engine, catalogue, features, seen, load_model, config, filters, selectors)


def feed_selectors(embeddings: PostEmbeddings | None, config: RankingConfig) -> list[Selector]:
    """How the feed arranges its scored candidates before any exploration: the user's knobs, topic spread
    (when there are embeddings), author runs. Off-policy replay arranges a logged pool with the same."""
    selectors: list[Selector] = [PreferenceBoost()]
    selectors += [MMR(embeddings, config.mmr)] if embeddings is not None else []
    selectors.append(AuthorDiversity(config.diversity))
    return selectors


def explore_pipeline(
    sources: Sequence[CandidateSource],
    engine: Engine,
    catalogue: PostCatalogue,
    features: FeatureReader,
    *,
    seen: SeenStore | None = None,
    load_model: Callable[[], RankerModel | None] = no_model,
    embeddings: PostEmbeddings | None = None,
    config: RankingConfig | None = None,
) -> Pipeline:
    """Explore: out-of-network only (never a followed or blocked author), mixed by source over the grid, each
    picture once."""
    config = config or RankingConfig()
    selectors: list[Selector] = [MMR(embeddings, config.mmr)] if embeddings is not None else []
    selectors += [
        ExploreGridMix(config.grid),
        AuthorDiversity(config.diversity),
        NearDuplicates(config.near_duplicates),
    ]
    filters: list[Filter] = [FollowedAuthorFilter()]
    return _compose("explore", sources, engine, catalogue, features, seen, load_model, config, filters, selectors)


def _compose(
    name: str,
    sources: Sequence[CandidateSource],
    engine: Engine,
    catalogue: PostCatalogue,
    features: FeatureReader,
    seen: SeenStore | None,
    load_model: Callable[[], RankerModel | None],
    config: RankingConfig,
    extra_filters: list[Filter],
    selectors: list[Selector],
) -> Pipeline:
    hydrators: list[Hydrator] = [PostFactsHydrator(catalogue)]
    filters: list[Filter] = [DeletedFilter(), OwnPostFilter(), BlockedFilter(), *extra_filters, PrivateFilter()]
    effects: list[SideEffect] = []
    if seen is not None:
        hydrators.append(SeenHydrator(seen, config.seen_last_n))
        filters.append(SeenFilter())
        effects += [RecordSeen(seen)] if config.record_seen else []
    filters.append(HiddenFilter(config.hidden))
    scoring = Scoring(config.scorer, load_model, config.weights)
    explainer = Explainer(catalogue.usernames_of)
    viewer = [ViewerGraphHydrator(engine)]
    return Pipeline(
        name, sources, hydrators, filters, FeatureHydrator(features), scoring, selectors, effects, explainer, viewer
    )

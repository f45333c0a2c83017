"""The `model` policy: simulated users get the feed the ranking pipeline serves, at the simulated time.

The pipeline (sources → filters → ranker heads → value model → diversity) is built by the composition
root (`serving.simulation_policy`), the same stages the feed endpoint runs; this module only adapts it
to the simulator:
- the request carries the session's time, so every source and the on-demand features see that clock;
- features come from `AsOfReader` (the batch views as of the session's time), set before each request;
- the seen store is the impressions the simulation has logged (`FeedIndex.seen`, current between the
  database flushes), so the pipeline's own seen filter drops what a user already scrolled past;
- hides reach the database only at a flush, so the page is asked a few items deeper and the hides the
  index knows of are dropped after ranking (the product would have them at once).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from ranking.pipeline import Pipeline
from ranking.seen import SeenStore
from ranking.selectors.exploration import ExplorationConfig, Explored
from ranking.types import RankingRequest
from social_core.types import PostId, UserId
from training.simulation.feature_replay import AsOfReader
from training.simulation.index import FeedIndex
from training.simulation.policies import PolicyContext


@dataclass(frozen=True)
class ModelPolicyConfig:
    margin: int = 5  # items asked beyond the page, so hides not yet flushed never shorten it
    per_source: int = 500  # upper bound per source (each source is capped by its own count anyway)
    exploration: ExplorationConfig = field(default_factory=ExplorationConfig)  # off unless asked (`--explore`)


class LoggedImpressions(SeenStore):
    """`SeenStore` over the simulation's impression log: what each user was shown (and scrolled past)."""

    def __init__(self, index: FeedIndex) -> None:
        super().__init__(redis=None)
        self.index = index

    def record(self, user_id: UserId, post_ids: Iterable[PostId], ts: float) -> None:
        """The session runner logs the positions actually viewed; nothing to do at serve time."""

    def recent(self, user_id: UserId, n: int | None = None) -> list[PostId]:
        seen = self.index.seen.get(self.index.user_index(user_id), set())
        ids: list[PostId] = self.index.post_ids[sorted(seen)].tolist()
        return ids


@dataclass
class ModelPolicyStats:
    requests: int = 0
    degraded: int = 0  # requests that fell back somewhere (a failed source, the heuristic scorer, ...)
    short_pages: int = 0  # pages with fewer than k items
    reasons: dict[str, int] = field(default_factory=dict)  # degraded reason -> requests


class ModelPolicy:
    name: str = "model"

    def __init__(
        self, context: PolicyContext, pipeline: Pipeline, reader: AsOfReader, version: str, config: ModelPolicyConfig
    ) -> None:
        self.index, self.pipeline, self.reader, self.config = context.index, pipeline, reader, config
        self.version: str | None = version
        self.stats = ModelPolicyStats()
        self.explored: Explored | None = None

    def rank(self, user_id: int, now: datetime, k: int) -> list[int]:
        at = now.timestamp()
        self.reader.at = at
        request = RankingRequest(user_id, limit=k + self.config.margin, now_ts=at, per_source=self.config.per_source)
        result = self.pipeline(request)
        self.explored = result.explored
        self._count(result.served_by.degraded_reasons, len(result.items), k)
        hidden = self.index.hidden.get(self.index.user_index(user_id), set())
        served = [item.post_id for item in result.items]
        positions = self.index.post_indices(served)
        known = dict(zip(self.index.post_ids[positions].tolist(), positions.tolist(), strict=True))
        return [post for post in served if known.get(post, -1) not in hidden][:k]

    def _count(self, reasons: tuple[str, ...], served: int, k: int) -> None:
        stats = self.stats
        stats.requests += 1
        stats.degraded += bool(reasons)
        stats.short_pages += served < k
        for reason in reasons:
            stats.reasons[reason] = stats.reasons.get(reason, 0) + 1

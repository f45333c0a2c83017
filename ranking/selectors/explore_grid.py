"""The explore grid's mix: each source gets its share of the tiles, spread evenly down the grid.

A candidate counts for the first source of `shares` it came from. Each tile goes to the source that
is furthest behind its share so far (largest `share · placed − taken`), which takes its best
remaining candidate; when the sources with a share run dry, the rest follow in score order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ranking.types import RankingContext, ScoredCandidate


def _default_shares() -> dict[str, float]:
    return {"two_tower": 0.6, "popular": 0.25, "social_proof": 0.15}


@dataclass(frozen=True)
class ExploreGridConfig:
    shares: Mapping[str, float] = field(default_factory=_default_shares)

    def __post_init__(self) -> None:
        if any(s < 0 for s in self.shares.values()) or sum(self.shares.values()) <= 0:
            raise ValueError("explore shares must be non-negative and not all zero")


class ExploreGridMix:
    name = "explore_grid"

    def __init__(self, config: ExploreGridConfig | None = None) -> None:
        self.config = config or ExploreGridConfig()
        total = sum(self.config.shares.values())
        self.shares = {source: share / total for source, share in self.config.shares.items() if share > 0}

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> list[ScoredCandidate]:
        queues: dict[str, deque[ScoredCandidate]] = {source: deque() for source in self.shares}
        rest: list[ScoredCandidate] = []
        for candidate in candidates:
            bucket = next((s for s in self.shares if s in candidate.sources), None)
            (queues[bucket].append(candidate) if bucket else rest.append(candidate))
        taken = dict.fromkeys(self.shares, 0)
        out: list[ScoredCandidate] = []
        while any(queues.values()):
            placed = len(out) + 1
            live = [s for s in self.shares if queues[s]]
            source = max(live, key=lambda s: self.shares[s] * placed - taken[s])
            taken[source] += 1
            out.append(queues[source].popleft())
        return out + rest

"""The explore grid's mix: each source gets its share of the tiles, spread evenly down the grid.

A candidate counts for the first source of `shares` it came from. Each tile goes to the source that
is furthest behind its share so far (largest `share · placed − taken`), which takes its best
remaining candidate; when the sources with a share run dry, the rest follow in score order.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ranking.frame import Frame
from ranking.types import RankingContext


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

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        queues: dict[str, deque[int]] = {source: deque() for source in self.shares}
        rest: list[int] = []
        bits = [frame.bit(source) for source in self.shares]
        for row, mask in enumerate(frame.source_bits.tolist()):
            bucket = next((s for s, bit in zip(self.shares, bits, strict=True) if mask & bit), None)
            (queues[bucket].append(row) if bucket else rest.append(row))
        taken = dict.fromkeys(self.shares, 0)
        out: list[int] = []
        while any(queues.values()):
            placed = len(out) + 1
            live = [s for s in self.shares if queues[s]]
            source = max(live, key=lambda s: self.shares[s] * placed - taken[s])
            taken[source] += 1
            out.append(queues[source].popleft())
        return np.array(out + rest, dtype=np.int64)

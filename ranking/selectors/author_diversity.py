"""No more than `max_run` consecutive posts by one author.

Greedy and order-preserving: each position takes the best remaining candidate that does not extend
an author's run past `max_run`. When only that author's posts are left, they are dropped: a feed
that ends early beats a wall of one account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ranking.types import RankingContext, ScoredCandidate


@dataclass(frozen=True)
class AuthorDiversityConfig:
    max_run: int = 2

    def __post_init__(self) -> None:
        if self.max_run < 1:
            raise ValueError("max_run must be at least 1")


class AuthorDiversity:
    name = "author_diversity"

    def __init__(self, config: AuthorDiversityConfig | None = None) -> None:
        self.config = config or AuthorDiversityConfig()

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> list[ScoredCandidate]:
        pending = list(candidates)
        out: list[ScoredCandidate] = []
        run_author, run = None, 0
        while pending:
            pick = next(
                (i for i, c in enumerate(pending) if c.author_id != run_author or run < self.config.max_run), None
            )
            if pick is None:
                break
            chosen = pending.pop(pick)
            run = run + 1 if chosen.author_id == run_author else 1
            run_author = chosen.author_id
            out.append(chosen)
        return out

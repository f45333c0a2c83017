"""No more than `max_run` consecutive posts by one author.

Greedy and order-preserving: each position takes the best remaining candidate that does not extend
an author's run past `max_run`. When only that author's posts are left, they are dropped: a feed
that ends early beats a wall of one account.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from ranking.frame import Frame
from ranking.types import RankingContext


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

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        """One pass: a candidate whose author's run is full waits in `waiting` (all of that one author, since
        only the running author's posts wait) until another author's post breaks the run."""
        authors, max_run = frame.author_id.tolist(), self.config.max_run
        out: list[int] = []
        waiting: deque[int] = deque()
        run_author, run, position = None, 0, 0
        while True:
            if waiting and (authors[waiting[0]] != run_author or run < max_run):
                pick = waiting.popleft()
            else:
                while position < len(authors) and authors[position] == run_author and run >= max_run:
                    waiting.append(position)
                    position += 1
                if position == len(authors):
                    break
                pick, position = position, position + 1
            run = run + 1 if authors[pick] == run_author else 1
            run_author = authors[pick]
            out.append(pick)
        return np.array(out, dtype=np.int64)

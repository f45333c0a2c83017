"""Shared value types of retrieval: what a source is asked (`CandidateQuery`) and what it returns (`Proposals`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from social_core.types import PostId, UserId

NO_AUTHOR = -1  # a fan-out entry carries no author; the ranking's post facts fill it


@dataclass(frozen=True)
class CandidateQuery:
    """One retrieval request: whose feed, how many candidates per source, and what to leave out.

    `followees` (whom the user follows, with each one's follower count) is given when the caller has read
    them already (the ranking's viewer graph); None: a source that needs them reads them itself."""

    user_id: UserId
    limit: int = 500
    now_ts: float | None = None  # epoch seconds; sources that age items use it (None: wall clock)
    exclude_post_ids: frozenset[PostId] = frozenset()
    followees: Mapping[UserId, int] | None = None


@dataclass(frozen=True, eq=False)  # columns: compare them with numpy
class Proposals:
    """What one source proposes, best first, as columns (never an object per post): the post ids, their
    authors (`NO_AUTHOR` where the source does not know them) and the source's score of each."""

    post_id: np.ndarray  # int64
    author_id: np.ndarray  # int64
    score: np.ndarray  # float64

    @classmethod
    def of(
        cls,
        post_ids: Sequence[int] | np.ndarray,
        author_ids: Sequence[int] | np.ndarray,
        scores: Sequence[float] | np.ndarray,
    ) -> Proposals:
        posts = np.asarray(post_ids, dtype=np.int64).reshape(-1)
        authors = np.asarray(author_ids, dtype=np.int64).reshape(-1)
        values = np.asarray(scores, dtype=np.float64).reshape(-1)
        if not len(posts) == len(authors) == len(values):
            raise ValueError("one author and one score per proposed post")
        return cls(posts, authors, values)

    @classmethod
    def none(cls) -> Proposals:
        return cls.of([], [], [])

    def __len__(self) -> int:
        return len(self.post_id)

    def take(self, rows: np.ndarray | slice) -> Proposals:
        return Proposals(self.post_id[rows], self.author_id[rows], self.score[rows])

    def kept(self, query: CandidateQuery) -> Proposals:
        """Without the posts the query leaves out, at most `query.limit` of them."""
        rows = self
        if query.exclude_post_ids:
            rows = self.take(~np.isin(self.post_id, np.fromiter(query.exclude_post_ids, np.int64)))
        return rows.take(slice(0, query.limit))


class CandidateSource(Protocol):
    """A named stage: one call in, its proposals out (best first); it never raises (fail-open)."""

    name: str

    def __call__(self, query: CandidateQuery) -> Proposals: ...

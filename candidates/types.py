"""Shared value types of retrieval: what a source is asked (`CandidateQuery`) and what it returns (`Candidate`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from social_core.types import PostId, UserId


@dataclass(frozen=True)
class CandidateQuery:
    """One retrieval request: whose feed, how many candidates per source, and what to leave out."""

    user_id: UserId
    limit: int = 500
    now_ts: float | None = None  # epoch seconds; sources that age items use it (None: wall clock)
    exclude_post_ids: frozenset[PostId] = frozenset()


@dataclass
class Candidate:
    """A post some source proposes, with the score each source gave it (merge keeps all of them)."""

    post_id: PostId
    author_id: UserId | None = None
    sources: dict[str, float] = field(default_factory=dict)

    @property
    def source_names(self) -> list[str]:
        return list(self.sources)


class CandidateSource(Protocol):
    """A named stage: one call in, a list of candidates out (best first); it never raises (fail-open)."""

    name: str

    def __call__(self, query: CandidateQuery) -> list[Candidate]: ...

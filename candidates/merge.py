"""Run the sources of a pipeline and merge their candidates: one per post, every source it came from kept."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from candidates.types import Candidate, CandidateQuery, CandidateSource


def merge(results: Iterable[list[Candidate]]) -> list[Candidate]:
    """Dedupe by post id in first-seen order (sources in the given order); sources and scores are united."""
    merged: dict[int, Candidate] = {}
    for candidates in results:
        for candidate in candidates:
            kept = merged.get(candidate.post_id)
            if kept is None:
                merged[candidate.post_id] = Candidate(candidate.post_id, candidate.author_id, dict(candidate.sources))
                continue
            kept.sources.update(candidate.sources)
            if kept.author_id is None:
                kept.author_id = candidate.author_id
    return list(merged.values())


def retrieve(sources: Sequence[CandidateSource], query: CandidateQuery) -> list[Candidate]:
    """Call every source (each fails open by itself) and merge what they return."""
    return merge(source(query) for source in sources)

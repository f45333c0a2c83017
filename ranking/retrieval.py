"""The pipeline's candidate stage: call every source, time and count it, note which failed, merge.

Sources fail open by themselves (`candidates.sources.base.Source`); for those the pipeline calls
`fetch` under its own guard instead, so a failure is not only logged but also reported in
`served_by` (a source that failed is not the same as a source with nothing to offer).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from candidates.sources.base import Source
from candidates.types import CandidateQuery, CandidateSource, Proposals
from ranking.frame import Frame, empty, merged
from ranking.result import StageStat

log = logging.getLogger("pixelrank.ranking")


@dataclass
class Retrieved:
    frame: Frame
    stats: list[StageStat] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)


def retrieve_all(sources: Sequence[CandidateSource], query: CandidateQuery) -> Retrieved:
    results: list[Proposals] = []
    out = Retrieved(empty())
    for source in sources:
        started = time.perf_counter()
        try:
            found = source.fetch(query) if isinstance(source, Source) else source(query)
            out.answered.append(source.name)
        except Exception:  # fail-open: one broken source must not break the page
            log.exception("candidate source %s failed for user %s", source.name, query.user_id)
            found = Proposals.none()
            out.failed.append(source.name)
        out.stats.append(StageStat("source", source.name, time.perf_counter() - started, 0, len(found)))
        results.append(found)
    started = time.perf_counter()
    out.frame = merged([s.name for s in sources], results)
    proposed = sum(map(len, results))
    out.stats.append(StageStat("merge", "dedupe", time.perf_counter() - started, proposed, len(out.frame)))
    return out

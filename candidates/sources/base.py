"""The fail-open wrapper every source shares: a failing source logs and yields nothing."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod

from candidates.types import CandidateQuery, Proposals

log = logging.getLogger("pixelrank.candidates")


class Source(ABC):
    name: str = "source"

    def __call__(self, query: CandidateQuery) -> Proposals:
        try:
            return self.fetch(query)
        except Exception:  # fail-open: one broken source must not break the feed
            log.exception("candidate source %s failed for user %s", self.name, query.user_id)
            return Proposals.none()

    @abstractmethod
    def fetch(self, query: CandidateQuery) -> Proposals: ...


def query_now(query: CandidateQuery) -> float:
    return query.now_ts if query.now_ts is not None else time.time()

"""`Degraded`: every fallback a page can take, as a small enum.

The value is the reason a response states (`served_by.degraded_reasons`); the name, lower-cased, is the
bounded label the metrics count by, so no label is ever cut out of free text. Which source failed is
told by `served_by.failed_sources`, not by the reason.
"""

from __future__ import annotations

from enum import StrEnum


class Degraded(StrEnum):
    SOURCE_FAILED = "a candidate source failed: skipped"
    NO_MODEL_REGISTERED = "no model registered: heuristic scorer"
    MODEL_LOADING_FAILED = "model loading failed: heuristic scorer"
    MODEL_FAILED = "model failed: heuristic scorer"
    SEEN_STORE_UNREACHABLE = "seen store unreachable: recently seen posts not filtered"
    ONLINE_STORE_UNREACHABLE = "online store unreachable: feature defaults"
    TWO_TOWER_INDEX_MISSING = "two-tower index missing: popular source"
    CHRONOLOGICAL_FEED = "redis unreachable: chronological feed"
    UNCACHED_PAGES = "redis unreachable: ranked per page without a cache"

    @property
    def kind(self) -> str:
        return self.name.lower()

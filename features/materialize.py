"""Load the batch rows into the online store: in full, or incrementally since the last run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feast import FeatureStore

from features.schema import VIEWS

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def materialize(store: FeatureStore, end: datetime, *, incremental: bool = False) -> None:
    """The latest row per key up to `end` (inclusive) → the online store. Incremental: only rows newer
    than each view's last materialization (Feast's own bookkeeping in the registry)."""
    until = end.replace(microsecond=0) + timedelta(seconds=1)  # Feast truncates `end` to whole seconds
    if incremental:
        store.materialize_incremental(until, feature_views=list(VIEWS))
    else:
        store.materialize(EPOCH, until, feature_views=list(VIEWS))

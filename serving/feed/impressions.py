"""A served page → `impression` events through the app's `ImpressionLogger` (batched, off the request path).

Positions count from the top of the feed (a later page's offset included). Items ranked in this very
request also carry the feature row they were scored with (`payload["features"]`, encoded by
`features.logged_row`) and, when the ranking explored, their propensity (`ranking.selectors.exploration`);
items served from a cached list were scored minutes earlier, so theirs are left out and
`features.skew` recomputes them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ranking.result import ServedBy, ServedItem
from serving.impressions import Impression, ImpressionLogger
from social_core.types import PostId, UserId

LoggedOf = Callable[[PostId, int], Mapping[str, Any]]  # (post, position) → what its impression adds


@dataclass(frozen=True)
class ServedImpression(Impression):
    logged: Mapping[str, Any] | None = None  # from the ranking that served it: its feature row, its propensity

    def payload(self) -> dict[str, Any]:
        return super().payload() | dict(self.logged or {})


def page_impressions(
    user_id: UserId,
    items: Sequence[ServedItem],
    served_by: ServedBy,
    *,
    offset: int,
    request_id: str | None,
    at: datetime,
    logged_of: LoggedOf | None = None,
) -> list[ServedImpression]:
    return [
        ServedImpression(
            user_id=user_id,
            post_id=item.post_id,
            author_id=item.author_id,
            position=offset + i,
            request_id=request_id,
            pipeline=served_by.pipeline,
            model_version=served_by.model_version,
            sources=item.sources,
            score=item.score,
            at=at,
            logged=logged_of(item.post_id, offset + i) if logged_of is not None else None,
        )
        for i, item in enumerate(items)
    ]


def log_impressions(logger: ImpressionLogger | None, impressions: Sequence[Impression]) -> None:
    """Queue them (never blocks); without a logger (app not started) they are not recorded."""
    if logger is not None and impressions:
        logger.log(impressions)

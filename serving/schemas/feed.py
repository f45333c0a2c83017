"""The ranked feed and explore pages: each item is a `PostPublic` plus why it is there, and the page says
who served it."""

from __future__ import annotations

from pydantic import Field

from serving.schemas.common import Schema
from serving.schemas.posts import PostPublic


class FeedItemPublic(PostPublic):
    """A post as `GET /v1/posts/{id}` shows it, plus why it is in your feed."""

    reason: str = Field(description='Why it is here, e.g. "you often like posts by @alice · trending now".')
    sources: list[str] = Field(description="The candidate sources that proposed it (following, two_tower, ...).")


class ServedByPublic(Schema):
    pipeline: str = Field(description='"feed" or "explore".')
    scorer: str = Field(description='What scored the page: "lightgbm", "torch", "heuristic" or "chronological".')
    model_versions: dict[str, str] = Field(
        description='Model versions behind the page: "ranker" always, "two_tower" when it proposed candidates.'
    )
    sources: list[str] = Field(description="Candidate sources that answered.")
    failed_sources: list[str] = Field(default_factory=list, description="Sources that failed and were skipped.")
    degraded: bool = Field(description="True when any fallback was taken (see degraded_reasons).")
    degraded_reasons: list[str] = Field(default_factory=list)


class FeedPage(Schema):
    items: list[FeedItemPublic]
    next_cursor: str | None = Field(None, description="Pass back as `cursor` for the next page; null at the end.")
    served_by: ServedByPublic

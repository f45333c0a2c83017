"""Served items → `FeedItemPublic`, through the same presenter as `GET /v1/posts/{id}`, so both match."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from ranking.result import ServedBy, ServedItem
from serving.feed.guard import VisiblePost
from serving.post_contents import ContentsReader
from serving.presenters import post_fields
from serving.schemas.feed import FeedItemPublic, ServedByPublic
from social_core.models import User
from social_core.types import PostId


def feed_items(
    session: Session,
    viewer: User,
    items: Sequence[ServedItem],
    visible: Mapping[PostId, VisiblePost],
    contents: ContentsReader,
) -> list[FeedItemPublic]:
    """One public item per served item, in served order; `visible` holds each item's post (`guard`), and
    `contents` reads their media and hashtags (the stack's `PostContents`)."""
    kept = [visible[item.post_id] for item in items]
    authors = {v.author.id: v.author for v in kept}
    liked = {v.post.id for v in kept if v.liked}
    fields = post_fields(session, [v.post for v in kept], viewer, authors, liked, contents)
    return [
        FeedItemPublic(**post, reason=item.reason, sources=list(item.sources))
        for item, post in zip(items, fields, strict=True)
    ]


def served_by_public(served_by: ServedBy, two_tower_version: str | None = None) -> ServedByPublic:
    versions = {"ranker": served_by.model_version}
    if two_tower_version is not None and "two_tower" in served_by.sources:
        versions["two_tower"] = two_tower_version
    return ServedByPublic(
        pipeline=served_by.pipeline,
        scorer=served_by.scorer,
        model_versions=versions,
        sources=list(served_by.sources),
        failed_sources=list(served_by.failed_sources),
        degraded=served_by.degraded,
        degraded_reasons=list(served_by.degraded_reasons),
    )

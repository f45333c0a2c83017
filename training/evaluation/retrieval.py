"""Retrieval recall per candidate source: of the posts a user engages with after a cutoff (created before
it), how many does each source return at the cutoff, within its top K?

The sources are asked as of the cutoff (`now_ts`), so they must not read the future: the DB sources
bound every query by `now`, and `fill_feeds` fans out only posts created before the cutoff.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from candidates.fanout import FanoutConfig, fan_out, is_celebrity
from candidates.sources.engagement import at, engagements
from candidates.types import CandidateQuery, CandidateSource
from social_core.models import Follow, Post, User


def future_targets(engine: Engine, cutoff_ts: float, horizon_s: float) -> dict[int, set[int]]:
    """User → posts they liked, commented or saved in (cutoff, cutoff + horizon], created by the cutoff."""
    rows = engagements(at(cutoff_ts + 1e-3), at(cutoff_ts + horizon_s)).subquery()
    statement = (
        select(rows.c.user_id, rows.c.post_id)
        .join(Post, Post.id == rows.c.post_id)
        .where(Post.created_at <= at(cutoff_ts))
    )
    targets: dict[int, set[int]] = {}
    with engine.connect() as conn:
        for user, post in conn.execute(statement):
            targets.setdefault(int(user), set()).add(int(post))
    return targets


def fill_feeds(redis: Any, engine: Engine, since_ts: float, until_ts: float, config: FanoutConfig) -> int:
    """Fan out every post created in [since, until] to its author's followers (as the relay would have)."""
    with engine.connect() as conn:
        posts = conn.execute(
            select(Post.id, Post.author_id, Post.created_at, User.followers_count)
            .join(User, User.id == Post.author_id)
            .where(Post.created_at >= at(since_ts), Post.created_at <= at(until_ts), Post.deleted_at.is_(None))
        ).all()
        followers: dict[int, list[int]] = {}
        for follower, followee in conn.execute(select(Follow.follower_id, Follow.followee_id)):
            followers.setdefault(int(followee), []).append(int(follower))
    for post, author, created, count in posts:
        celebrity = is_celebrity(count, config)
        fan_out(redis, post, author, created.timestamp(), followers.get(author, []), celebrity, config)
    return len(posts)


def source_recall(
    sources: Sequence[CandidateSource], targets: Mapping[int, set[int]], now_ts: float, ks: Sequence[int] = (100, 500)
) -> dict[str, dict[str, float]]:
    """Mean recall@k per source (and of all sources merged, at their union) over the users with targets."""
    limit = max(ks)
    totals: dict[str, dict[str, float]] = {s.name: dict.fromkeys(map(str, ks), 0.0) for s in [*sources]}
    totals["merged"] = {"all": 0.0}
    for user, wanted in targets.items():
        results = [source(CandidateQuery(user_id=user, limit=limit, now_ts=now_ts)) for source in sources]
        for source, found in zip(sources, results, strict=True):
            for k in ks:
                totals[source.name][str(k)] += len(wanted & set(found.post_id[:k].tolist())) / len(wanted)
        union = {post for found in results for post in found.post_id.tolist()}
        totals["merged"]["all"] += len(wanted & union) / len(wanted)
    n = max(len(targets), 1)
    return {name: {k: v / n for k, v in values.items()} for name, values in totals.items()}

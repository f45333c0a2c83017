"""Engagement rows (likes, comments, saves) as one union query, bounded in time; shared by the DB sources."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BindParameter, Select, literal, select, union_all

from social_core.models import Comment, Like, Save

WEIGHTS = {"like": 1.0, "comment": 2.0, "save": 2.0}


def engagements(
    since: datetime | BindParameter[datetime], until: datetime | BindParameter[datetime]
) -> Select[tuple[int, int, datetime, float]]:
    """(user_id, post_id, created_at, weight) of every like, comment and save in [since, until] (times,
    or bind parameters for a statement built once and run many times)."""
    like = select(Like.user_id, Like.post_id, Like.created_at, literal(WEIGHTS["like"]).label("weight")).where(
        Like.created_at >= since, Like.created_at <= until
    )
    save = select(Save.user_id, Save.post_id, Save.created_at, literal(WEIGHTS["save"]).label("weight")).where(
        Save.created_at >= since, Save.created_at <= until
    )
    comment = select(
        Comment.author_id.label("user_id"),
        Comment.post_id,
        Comment.created_at,
        literal(WEIGHTS["comment"]).label("weight"),
    ).where(Comment.created_at >= since, Comment.created_at <= until, Comment.deleted_at.is_(None))
    union = union_all(like, save, comment).subquery()
    return select(union.c.user_id, union.c.post_id, union.c.created_at, union.c.weight)


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)

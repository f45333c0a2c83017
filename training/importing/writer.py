"""Write an `ImportPlan` through the social core's tables and outbox, in bulk, on the caller's connection.

The rows and events are the ones the services write (`accounts.signup` → `user_created`,
`posts.create_post` → `post_created`, `graph.follow` → `follow`, `engagement.like` → `like`), dated
at the dataset's times, plus a `view` event (payload: the rating or weight) for each interaction
that is not a like. Counters are computed from the rows, so they match them exactly. Events go
into the outbox in time order, as a relay would have seen them happen.

Everything runs on one connection inside the caller's transaction: any error rolls all of it back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, insert, select

from social_core.models import Event, Follow, Like, Post, PostHashtag, User
from training.bulk import CHUNK, chunks, insert_chunks
from training.evaluation.data import DatasetError
from training.importing.plan import ImportPlan, to_datetimes

LOOKUP_CHUNK = 500  # bound parameters per IN (...) check
EMAIL_DOMAIN = "import.pixelrank.invalid"

Progress = Callable[[str, int, int], None]  # (stage, done, total)


class ImportRefused(DatasetError):
    """The database already holds this dataset, or accounts/posts the import would create."""


@dataclass(frozen=True)
class Written:
    user_ids: np.ndarray  # database id of each plan user
    catalog_id: int
    rows: dict[str, int]  # rows written per table ("events" included)


def write_plan(conn: Connection, plan: ImportPlan, password_hash: str, progress: Progress) -> Written:
    refuse_existing(conn, plan)
    catalog_id, user_ids = _write_users(conn, plan, password_hash, progress)
    rows = {"users": len(user_ids) + 1}
    rows["posts"], rows["post_hashtags"] = _write_posts(conn, plan, catalog_id, progress)
    post_ids = plan.posts["post_id"].to_numpy()
    likes = (
        {"post_id": p, "user_id": u, "created_at": at}
        for p, u, at in zip(
            post_ids[plan.likes["post"]].tolist(),
            user_ids[plan.likes["user"]].tolist(),
            to_datetimes(plan.likes["at_us"]),
            strict=True,
        )
    )
    rows["likes"] = insert_chunks(conn, Like, likes, on_chunk=_reporter(progress, "likes", len(plan.likes)))
    follows = (
        {"follower_id": a, "followee_id": b, "created_at": at}
        for a, b, at in zip(
            user_ids[plan.follows["follower"]].tolist(),
            user_ids[plan.follows["followee"]].tolist(),
            to_datetimes(plan.follows["at_us"]),
            strict=True,
        )
    )
    rows["follows"] = insert_chunks(conn, Follow, follows, on_chunk=_reporter(progress, "follows", len(plan.follows)))
    rows["events"] = _write_events(conn, plan, user_ids, catalog_id, progress)
    return Written(user_ids, catalog_id, rows)


def refuse_existing(conn: Connection, plan: ImportPlan) -> None:
    """Refuse, before writing anything, an import whose accounts or post ids already exist."""
    if conn.scalar(select(User.id).where(User.username == plan.catalog_username)) is not None:
        raise ImportRefused(
            f"dataset {plan.dataset!r} is already imported into this database "
            f"(account {plan.catalog_username!r} exists); import into a fresh database"
        )
    for chunk in chunks(plan.users["username"].tolist(), LOOKUP_CHUNK):
        taken = conn.scalar(select(User.username).where(User.username.in_(chunk)).limit(1))
        if taken is not None:
            raise ImportRefused(f"username {taken!r} is already taken in this database; import into a fresh database")
    for chunk in chunks(plan.posts["post_id"].tolist(), LOOKUP_CHUNK):
        existing = conn.scalar(select(Post.id).where(Post.id.in_(chunk)).limit(1))
        if existing is not None:
            raise ImportRefused(f"post id {existing} already exists in this database; import into a fresh database")


def _write_users(conn: Connection, plan: ImportPlan, password_hash: str, progress: Progress) -> tuple[int, np.ndarray]:
    """The catalogue account first, then one account per external user; ids come back in order."""
    users = plan.users
    catalog = _account(plan.catalog_username, password_hash, to_datetimes([plan.catalog_created_us])[0])
    catalog.update(full_name=f"{plan.dataset} catalogue"[:64], posts_count=len(plan.posts))
    rows = (
        _account(name, password_hash, at, followers=int(followers), following=int(following))
        for name, at, followers, following in zip(
            users["username"], to_datetimes(users["created_us"]), users["followers"], users["following"], strict=True
        )
    )
    statement = insert(User).returning(User.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for chunk in chunks([catalog, *rows], CHUNK):
        ids.extend(conn.execute(statement, chunk).scalars())
        progress("users", len(ids) - 1, len(users))
    return ids[0], np.asarray(ids[1:], dtype=np.int64)


def _account(username: str, password_hash: str, created_at: datetime, **counts: int) -> dict[str, Any]:
    return {
        "username": username,
        "email": f"{username}@{EMAIL_DOMAIN}",
        "password_hash": password_hash,
        "full_name": "",
        "bio": "",
        "is_private": False,
        "followers_count": counts.get("followers", 0),
        "following_count": counts.get("following", 0),
        "posts_count": 0,
        "created_at": created_at,
    }


def _write_posts(conn: Connection, plan: ImportPlan, catalog_id: int, progress: Progress) -> tuple[int, int]:
    posts = plan.posts
    rows = (
        {
            "id": pid,
            "author_id": catalog_id,
            "caption": caption,
            "location": None,
            "like_count": likes,
            "created_at": at,
        }
        for pid, caption, likes, at in zip(
            posts["post_id"].tolist(),
            posts["caption"],
            posts["like_count"].tolist(),
            to_datetimes(posts["created_us"]),
            strict=True,
        )
    )
    written = insert_chunks(conn, Post, rows, on_chunk=_reporter(progress, "posts", len(posts)))
    tags = (
        {"post_id": pid, "tag": tag}
        for pid, post_tags in zip(posts["post_id"].tolist(), posts["hashtags"], strict=True)
        for tag in post_tags
    )
    total_tags = int(posts["hashtags"].map(len).sum())
    return written, insert_chunks(conn, PostHashtag, tags, on_chunk=_reporter(progress, "hashtags", total_tags))


def _write_events(conn: Connection, plan: ImportPlan, user_ids: np.ndarray, catalog_id: int, progress: Progress) -> int:
    """user_created, post_created, follow, like and view events, in time order."""
    builders, times, ranks, ties = [], [], [], []
    for rank, (builder, at_us, tie) in enumerate(_event_sources(plan, user_ids, catalog_id)):
        builders.append(builder)
        times.append(np.asarray(at_us, dtype=np.int64))
        ranks.append(np.full(len(at_us), min(rank, 3)))  # likes and views rank alike: the file's order decides
        ties.append(np.asarray(tie, dtype=np.int64))
    kind = np.concatenate([np.full(len(t), k) for k, t in enumerate(times)])
    index = np.concatenate([np.arange(len(t)) for t in times])
    all_times = np.concatenate(times)
    order = np.lexsort((np.concatenate(ties), np.concatenate(ranks), all_times))
    rows = (
        builders[k](i, at)
        for k, i, at in zip(kind[order].tolist(), index[order].tolist(), to_datetimes(all_times[order]), strict=True)
    )
    return insert_chunks(conn, Event, rows, on_chunk=_reporter(progress, "events", len(order)))


Builder = Callable[[int, datetime], dict[str, Any]]


def _event_sources(plan: ImportPlan, user_ids: np.ndarray, catalog_id: int) -> list[tuple[Builder, Any, Any]]:
    """(row builder, times, tie-breaker) per event kind, in the order kinds sort at equal times."""
    accounts = [catalog_id, *user_ids.tolist()]
    post_ids, captions, tags = plan.posts["post_id"].tolist(), plan.posts["caption"].tolist(), plan.posts["hashtags"]
    follower = user_ids[plan.follows["follower"]].tolist()
    followee = user_ids[plan.follows["followee"]].tolist()

    def user_created(i: int, at: datetime) -> dict[str, Any]:
        return _event("user_created", accounts[i], None, accounts[i], {}, at)

    def post_created(i: int, at: datetime) -> dict[str, Any]:
        payload = {"hashtags": tags[i], "mentions": [], "media_ids": [], "caption_length": len(captions[i])}
        return _event("post_created", catalog_id, post_ids[i], catalog_id, payload, at)

    def follow(i: int, at: datetime) -> dict[str, Any]:
        return _event("follow", follower[i], None, followee[i], {}, at)

    account_times = np.concatenate([[plan.catalog_created_us], plan.users["created_us"].to_numpy()])
    return [
        (user_created, account_times, np.arange(len(accounts))),
        (post_created, plan.posts["created_us"], np.arange(len(post_ids))),
        (follow, plan.follows["at_us"], np.arange(len(follower))),
        (_engagement("like", plan.likes, plan, user_ids, catalog_id), plan.likes["at_us"], plan.likes["row"]),
        (_engagement("view", plan.views, plan, user_ids, catalog_id), plan.views["at_us"], plan.views["row"]),
    ]


def _engagement(kind: str, frame: pd.DataFrame, plan: ImportPlan, user_ids: np.ndarray, catalog_id: int) -> Builder:
    actors = user_ids[frame["user"]].tolist()
    posts = plan.posts["post_id"].to_numpy()[frame["post"]].tolist()
    values = frame["value"].tolist()
    name = plan.value_name

    def build(i: int, at: datetime) -> dict[str, Any]:
        payload = {} if name is None else {name: values[i]}
        return _event(kind, actors[i], posts[i], catalog_id, payload, at)

    return build


def _event(
    kind: str, actor: int, post: int | None, target: int | None, payload: dict[str, Any], at: datetime
) -> dict[str, Any]:
    return {
        "type": kind,
        "actor_id": actor,
        "post_id": post,
        "target_id": target,
        "payload": payload,
        "created_at": at,
        "processed_at": None,
    }


def _reporter(progress: Progress, stage: str, total: int) -> Callable[[int], None]:
    return lambda done: progress(stage, done, total)

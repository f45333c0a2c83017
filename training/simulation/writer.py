"""Write a generated world through the social core's tables and outbox, in bulk.

The same tables and event types as the services (`accounts.signup`, `graph.follow`,
`posts.create_post`), with the simulated times as timestamps, written with Core `insert()`
executemany in chunks inside the caller's transaction. Counters (followers, following, posts) are
computed from the generated rows, so they match the rows exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, select, text

from social_core import text as caption_text
from social_core.models import Event, Follow, Media, Post, PostHashtag, PostMedia, User
from training.bulk import chunks, insert_chunks
from training.simulation.errors import SimulationError
from training.simulation.images import StoredImage
from training.simulation.progress import Progress, no_progress
from training.simulation.world import World, snowflakes

EMAIL_DOMAIN = "sim.pixelrank.invalid"
UPLOAD_LEAD_S = 30.0  # a post's image is uploaded this long before the post


def as_datetimes(seconds: np.ndarray) -> list[datetime]:
    return [datetime.fromtimestamp(s, UTC) for s in np.asarray(seconds, dtype=np.float64).tolist()]


@dataclass(frozen=True)
class WrittenWorld:
    user_ids: np.ndarray  # database id of each world user
    rows: dict[str, int]  # rows written per table


def write_world(
    conn: Connection,
    world: World,
    password_hash: str,
    progress: Progress = no_progress,
    images: list[list[StoredImage]] | None = None,
) -> WrittenWorld:
    """Write users, follows, posts, hashtags and their events; with `images` (per topic, stored by
    `images.build_library`) each post also gets a media row uploaded shortly before it."""
    _refuse_taken_usernames(conn, world.usernames)
    base = conn.scalar(select(func.coalesce(func.max(User.id), 0))) or 0
    user_ids = base + 1 + np.arange(world.n_users, dtype=np.int64)
    hashtags = [caption_text.hashtags(caption) for caption in world.captions]
    _write_users(conn, world, user_ids, password_hash, progress)
    follows = (
        {"follower_id": a, "followee_id": b, "created_at": t}
        for a, b, t in zip(
            user_ids[world.follow_src].tolist(),
            user_ids[world.follow_dst].tolist(),
            as_datetimes(world.follow_at),
            strict=True,
        )
    )
    rows = {"users": world.n_users}
    rows["follows"] = insert_chunks(
        conn, Follow, follows, on_chunk=lambda n: progress("follows", n, len(world.follow_src))
    )
    rows["posts"], rows["post_hashtags"] = _write_posts(conn, world, user_ids, hashtags, progress)
    media = _write_media(conn, world, user_ids, images, rows) if images else None
    rows["events"] = _write_events(conn, world, user_ids, hashtags, media, progress)
    if conn.dialect.name == "postgresql":  # explicit ids do not advance the sequence
        conn.execute(text("SELECT setval(pg_get_serial_sequence('users', 'id'), (SELECT max(id) FROM users))"))
    return WrittenWorld(user_ids, rows)


def _write_users(conn: Connection, world: World, user_ids: np.ndarray, password_hash: str, progress: Progress) -> None:
    n = world.n_users
    followers = np.bincount(world.follow_dst, minlength=n).tolist()
    following = np.bincount(world.follow_src, minlength=n).tolist()
    posts = np.bincount(world.post_author, minlength=n).tolist()
    created = as_datetimes(world.user_created)
    rows = (
        {
            "id": int(user_ids[i]),
            "username": world.usernames[i],
            "email": f"{world.usernames[i]}@{EMAIL_DOMAIN}",
            "password_hash": password_hash,
            "full_name": world.full_names[i],
            "bio": "",
            "is_private": False,
            "followers_count": followers[i],
            "following_count": following[i],
            "posts_count": posts[i],
            "created_at": created[i],
        }
        for i in range(n)
    )
    insert_chunks(conn, User, rows, on_chunk=lambda done: progress("users", done, n))


def _write_posts(
    conn: Connection, world: World, user_ids: np.ndarray, hashtags: list[list[str]], progress: Progress
) -> tuple[int, int]:
    created = as_datetimes(world.post_at)
    authors = user_ids[world.post_author].tolist()
    ids = world.post_ids.tolist()
    rows = (
        {
            "id": ids[i],
            "author_id": authors[i],
            "caption": world.captions[i],
            "location": None,
            "created_at": created[i],
        }
        for i in range(world.n_posts)
    )
    posts = insert_chunks(conn, Post, rows, on_chunk=lambda n: progress("posts", n, world.n_posts))
    tags = ({"post_id": ids[i], "tag": tag} for i in range(world.n_posts) for tag in hashtags[i])
    return posts, insert_chunks(conn, PostHashtag, tags)


def _write_media(
    conn: Connection, world: World, user_ids: np.ndarray, images: list[list[StoredImage]], rows: dict[str, int]
) -> list[tuple[int, float, StoredImage]]:
    """One media row per post (a topic image, uploaded `UPLOAD_LEAD_S` before the post) and its post_media row."""
    uploaded = np.round(world.post_at - UPLOAD_LEAD_S, 3)
    media_ids = snowflakes(uploaded).tolist()
    topics = world.post_topic.tolist()
    chosen = [images[t][i % len(images[t])] for i, t in enumerate(topics)]
    media = list(zip(media_ids, uploaded.tolist(), chosen, strict=True))
    owners = user_ids[world.post_author].tolist()
    media_rows = (
        {
            "id": m,
            "owner_id": owners[i],
            "kind": "image",
            "width": img.width,
            "height": img.height,
            "blurhash": img.blurhash,
            "phash": img.phash,
            "duration_s": None,
            "original_key": img.original_key,
            "variants": img.variants,
            "created_at": at,
            "deleted_at": None,
        }
        for i, ((m, _, img), at) in enumerate(zip(media, as_datetimes(uploaded), strict=True))
    )
    rows["media"] = insert_chunks(conn, Media, media_rows)
    links = (
        {"post_id": p, "position": 0, "media_id": m} for p, m in zip(world.post_ids.tolist(), media_ids, strict=True)
    )
    rows["post_media"] = insert_chunks(conn, PostMedia, links)
    return media


def _write_events(
    conn: Connection,
    world: World,
    user_ids: np.ndarray,
    hashtags: list[list[str]],
    media: list[tuple[int, float, StoredImage]] | None,
    progress: Progress,
) -> int:
    """user_created, follow, media_uploaded and post_created events, merged in time order (the outbox's id order)."""
    users, follower, followee = user_ids.tolist(), world.follow_src.tolist(), world.follow_dst.tolist()
    authors, post_ids, captions = world.post_author.tolist(), world.post_ids.tolist(), world.captions

    def post_created(j: int, at: datetime) -> dict[str, Any]:
        payload = {
            "hashtags": hashtags[j],
            "mentions": [],
            "media_ids": [media[j][0]] if media else [],
            "caption_length": len(captions[j]),
        }
        return _event("post_created", users[authors[j]], post_ids[j], users[authors[j]], payload, at)

    def media_uploaded(j: int, at: datetime) -> dict[str, Any]:
        media_id, _, image = media[j] if media else (None, 0.0, None)
        payload = {"kind": "image", "width": image.width, "height": image.height} if image else {}
        return _event("media_uploaded", users[authors[j]], None, media_id, payload, at)

    groups: list[tuple[np.ndarray, Callable[[int, datetime], dict[str, Any]]]] = [
        (world.user_created, lambda j, at: _event("user_created", users[j], None, users[j], {}, at)),
        (world.follow_at, lambda j, at: _event("follow", users[follower[j]], None, users[followee[j]], {}, at)),
        (world.post_at, post_created),
    ]
    if media:
        groups.append((np.array([m[1] for m in media]), media_uploaded))
    times = np.concatenate([group_times for group_times, _ in groups])
    starts = np.cumsum([0] + [len(group_times) for group_times, _ in groups])
    order = np.argsort(times, kind="stable")
    group_of = (np.searchsorted(starts, order, side="right") - 1).tolist()
    events = (
        groups[g][1](i - int(starts[g]), at)
        for i, g, at in zip(order.tolist(), group_of, as_datetimes(times[order]), strict=True)
    )
    return insert_chunks(conn, Event, events, on_chunk=lambda n: progress("events", n, len(order)))


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


def _refuse_taken_usernames(conn: Connection, usernames: Sequence[str]) -> None:
    for chunk in chunks(usernames, 5_000):
        taken = conn.scalar(select(User.username).where(User.username.in_(chunk)).limit(1))
        if taken is not None:
            raise SimulationError(f"username {taken!r} already exists: seed into a fresh database")

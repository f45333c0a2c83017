"""What simulated sessions write, buffered and flushed in bulk through the social core's tables.

Per action the same rows, counters and outbox events as `social_core.engagement` (like → likes row,
posts.like_count, a `like` event; comment → comments row with text, comment_count, a `comment` event
with comment_id and length; save; hide → hides row with the author; share → an event only, there is
no share table), plus one `impression` event per viewed position. Timestamps are the simulated times.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from sqlalchemy import Connection, bindparam, update

from social_core.db import Base
from social_core.models import Comment, Event, Hide, Like, Post, Save
from training.bulk import insert_chunks
from training.simulation.world import snowflakes
from training.simulation.writer import as_datetimes

COUNTERS = {"like": 0, "comment": 1, "save": 2}
ROW_TABLES: dict[str, type[Base]] = {"likes": Like, "saves": Save, "hides": Hide, "comments": Comment}


class SessionLog:
    def __init__(self, comment_counter: int = 0) -> None:
        self.comment_counter = comment_counter  # low bits of comment ids; start past existing comments
        self._clear()

    def _clear(self) -> None:
        self.events: list[tuple[float, str, int, int, int, dict[str, Any]]] = []
        self.rows: dict[str, list[tuple[float, dict[str, Any]]]] = {name: [] for name in ROW_TABLES}
        self.deltas: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0, 0])

    def __len__(self) -> int:
        return len(self.events)

    def impression(self, user_id: int, post_id: int, author_id: int, at: float, payload: dict[str, Any]) -> None:
        self.events.append((at, "impression", user_id, post_id, author_id, payload))

    def action(self, kind: str, user_id: int, post_id: int, author_id: int, at: float, text: str = "") -> None:
        payload: dict[str, Any] = {}
        if kind == "comment":
            comment_id = int(snowflakes(np.array([at]), self.comment_counter)[0])
            self.comment_counter += 1
            payload = {"comment_id": comment_id, "length": len(text)}
            row = {"id": comment_id, "post_id": post_id, "author_id": user_id, "text": text}
            self.rows["comments"].append((at, row))
        elif kind == "hide":
            self.rows["hides"].append((at, {"user_id": user_id, "post_id": post_id, "author_id": author_id}))
        elif kind in ("like", "save"):
            self.rows[f"{kind}s"].append((at, {"user_id": user_id, "post_id": post_id}))
        if kind in COUNTERS:
            self.deltas[post_id][COUNTERS[kind]] += 1
        self.events.append((at, kind, user_id, post_id, author_id, payload))

    def flush(self, conn: Connection) -> int:
        """Write everything buffered inside the caller's transaction; returns the events written."""
        for name, table in ROW_TABLES.items():
            rows = self.rows[name]
            times = as_datetimes(np.array([at for at, _ in rows]))
            stamped = ({**row, "created_at": t} for (_, row), t in zip(rows, times, strict=True))
            insert_chunks(conn, table, stamped)
        self._write_counters(conn)
        self.events.sort(key=lambda event: event[0])  # the outbox's id order follows time
        times = as_datetimes(np.array([event[0] for event in self.events]))
        events = (
            {
                "type": kind,
                "actor_id": actor,
                "post_id": post,
                "target_id": target,
                "payload": payload,
                "created_at": t,
                "processed_at": None,
            }
            for (_, kind, actor, post, target, payload), t in zip(self.events, times, strict=True)
        )
        written = insert_chunks(conn, Event, events)
        self._clear()
        return written

    def _write_counters(self, conn: Connection) -> None:
        if not self.deltas:
            return
        statement = (
            update(Post)
            .where(Post.id == bindparam("post"))
            .values(
                like_count=Post.like_count + bindparam("likes"),
                comment_count=Post.comment_count + bindparam("comments"),
                save_count=Post.save_count + bindparam("saves"),
            )
        )
        rows = [{"post": post, "likes": d[0], "comments": d[1], "saves": d[2]} for post, d in self.deltas.items()]
        conn.execute(statement, rows)

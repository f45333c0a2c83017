"""`TwoTowerRuntime`: a trained two-tower version as serving holds it (model + FAISS index), and the
relay handler that keeps the served one's index current (`PostIndexer`).

Versions live in `{home}/models/two_tower/{version}/` (written by `training/two_tower.py`). Serving
picks which one (the registry's champion; without a registry, the newest complete folder) and follows
it while running: a new champion is loaded beside the old one and swapped in (`serving.two_tower`). A
post created after training is embedded by the post tower from its content alone when the relay sees
`post_created` (no retraining), added to the served index and the index saved, before the event is
marked processed; `catch_up` does the same, at load, for the posts created since the version was trained.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, select
from sqlalchemy.orm import object_session

from candidates.index import INDEX_FILE, PostIndex
from candidates.two_tower.embed import embed_new_posts
from candidates.two_tower.model import TwoTower
from candidates.two_tower.posts import post_rows
from candidates.two_tower.store import WEIGHTS, load_model
from social_core.models import Event, Post


@dataclass
class TwoTowerRuntime:
    version: str
    folder: Path
    model: TwoTower
    index: PostIndex

    @classmethod
    def load(cls, folder: Path) -> TwoTowerRuntime:
        return cls(folder.name, folder, load_model(folder), PostIndex.load(folder / "index"))

    def catch_up(self, conn: Connection) -> int:
        """Index the live posts newer than the newest indexed one: those created while this version was
        trained, or while another version was served. Post ids are time-sortable, so one range query."""
        newest = self.index.newest_id()
        ids = [int(p) for p in conn.scalars(select(Post.id).where(Post.id > newest, Post.deleted_at.is_(None)))]
        rows = post_rows(conn, ids, self.model.config.image_model) if ids else []
        if rows:
            vectors = embed_new_posts(self.model, rows)
            self.index.add(np.array([row["id"] for row in rows], dtype=np.int64), vectors)
        return len(rows)

    @classmethod
    def latest(cls, home: Path) -> TwoTowerRuntime | None:
        """The newest complete version under ``home``, or None before the first training."""
        folder = latest_version(home)
        return cls.load(folder) if folder is not None else None


def latest_version(home: Path) -> Path | None:
    complete = [f for f in (home / "models" / "two_tower").glob("*") if is_complete(f)]
    return max(complete, key=lambda f: f.name) if complete else None


def is_complete(folder: Path) -> bool:
    """Weights and index both written (a version still training has neither yet)."""
    return (folder / WEIGHTS).exists() and (folder / "index" / INDEX_FILE).exists()


ServedRuntime = Callable[[], TwoTowerRuntime | None]  # the version serving now (None before the first)


class PostIndexer:
    """Relay handler: new posts into the served index, deleted posts out of it.

    `served()` names the runtime serving now, asked once per batch: when the champion moves, the next
    batch goes into the new version's index. Before the first version there is none, and nothing to do:
    loading that version catches up on the posts created meanwhile.
    """

    name = "two_tower_index"

    def __init__(self, served: ServedRuntime, save: bool = True) -> None:
        self.served, self.save = served, save

    def __call__(self, events: Sequence[Event]) -> None:
        created = [e.post_id for e in events if e.type == "post_created" and e.post_id is not None]
        deleted = [e.post_id for e in events if e.type == "post_deleted" and e.post_id is not None]
        runtime = self.served()
        if runtime is None or (not created and not deleted):
            return
        index = runtime.index
        if created:
            session = object_session(events[0])  # the relay's own (SQLite: its lock holder)
            if session is None:
                raise ValueError("PostIndexer needs events loaded by the relay's session")
            rows = post_rows(session.connection(), created, runtime.model.config.image_model)
            if rows:
                vectors = embed_new_posts(runtime.model, rows)
                index.add(np.array([row["id"] for row in rows], dtype=np.int64), vectors)
        if deleted:
            index.remove(np.array(deleted, dtype=np.int64))
        if self.save:
            index.save(runtime.folder / "index")

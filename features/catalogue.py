"""`PostCatalogue`: what ranking reads of every post, in process, as arrays by a dense post index.

A ranking asks the same questions about hundreds of posts (whose is it, when was it made, is it
deleted, is its author private) and the same posts are candidates for many viewers, so the answers
are kept here for the whole catalogue instead of being read per request: loaded from the database at
start-up, then kept fresh from the outbox, which every change to these facts writes in its own
transaction (`post_created`, `post_deleted`, `profile_updated`, `user_created`); a post's picture hash
(its first media's, for near-duplicates) is written with the post and never changes. A ranking first
follows the outbox if the last look is older than `refresh_s`; each look reads the new events and
re-reads the posts and accounts they name.

An id the catalogue does not know yet (written without an event, or an event not read yet) is read
from the database when it is asked for, so a new post is never lost; a change the outbox has not
shown yet can be served for up to `refresh_s`, which is why each page is checked again as it leaves
(`serving.feed.guard`). PostgreSQL hands out outbox ids before commit, so an event can appear behind a
newer one: every look starts again from the newest id seen `settle_s` ago.

The dense index is the position in `ids` (sorted, so a lookup is one `searchsorted`); snowflake post
ids grow with time, so new posts are appended.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.engine import Connection, Engine

from features.stream.deltas import event_deltas
from social_core.db import read_only
from social_core.id_list import in_ids
from social_core.models import Event, Media, Post, PostMedia, User

POST_EVENTS = ("post_created", "post_deleted")
USER_EVENTS = ("profile_updated", "user_created")
ENTITY_VIEWS = {"post": ("post_content", "post_stats"), "author": ("author_stats",)}
NO_PHASH = 0  # a post without a picture hash (uploaded before hashes; also an all-black picture's: nothing to compare)


@dataclass(frozen=True)
class CatalogueConfig:
    refresh_s: float = 0.5  # how stale a fact may be before a ranking looks at the outbox again
    settle_s: float = 5.0  # how long an outbox id may stay uncommitted, or its online rows unpushed
    max_age_s: float = 60.0  # a feature row is read again after this long even without an event (batch builds)


@dataclass(frozen=True)
class Facts:
    """The catalogue's answer for a list of post ids, one entry each (unknown: `known` False)."""

    known: np.ndarray  # bool
    author_id: np.ndarray  # int64, -1 where unknown
    created_ts: np.ndarray  # float64 epoch seconds
    deleted: np.ndarray  # bool; an unknown post counts as deleted
    author_private: np.ndarray  # bool
    phash: np.ndarray  # int64, the first picture's perceptual hash; NO_PHASH where none (or unknown)


class PostCatalogue:
    def __init__(
        self, engine: Engine, config: CatalogueConfig | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        # Read-only: on SQLite any other transaction takes the write lock (`social_core.db.read_only`).
        self.engine, self.config, self.clock = read_only(engine), config or CatalogueConfig(), clock
        self._lock = threading.Lock()
        self.ids = np.zeros(0, dtype=np.int64)
        self.author = np.zeros(0, dtype=np.int64)
        self.created_ts = np.zeros(0)
        self.deleted = np.zeros(0, dtype=np.bool_)
        self.phash = np.zeros(0, dtype=np.int64)
        self.user_ids = np.zeros(0, dtype=np.int64)
        self.private = np.zeros(0, dtype=np.bool_)
        self.usernames: list[str] = []
        self._marks: deque[tuple[float, int]] = deque()  # (when, newest event id then)
        self._last_event = 0
        self._looked = -np.inf
        first_phash = (
            select(Media.phash)
            .join(PostMedia, PostMedia.media_id == Media.id)
            .where(PostMedia.post_id == Post.id)
            .order_by(PostMedia.position)
            .limit(1)
            .scalar_subquery()
        )
        self._posts = select(Post.id, Post.author_id, Post.created_at, Post.deleted_at.is_not(None), first_phash)
        self._users = select(User.id, User.is_private, User.username)
        self._facts_events = (  # few: posts created or deleted, accounts changed
            select(Event.id, Event.type, Event.post_id, Event.target_id)
            .where(Event.id > bindparam("after"), Event.type.in_([*POST_EVENTS, *USER_EVENTS]))
            .order_by(Event.id)
        )
        # The events that move post and author rows, each read once, after the newest id seen. Not the
        # impressions: they are most of the outbox (a burst of cached pages wrote tens of thousands, for the
        # next ranking to decode inside its request), and they move only an author's impression count,
        # which the `max_age_s` re-read picks up.
        self._row_events = (
            select(Event.id, Event.type, Event.actor_id, Event.post_id, Event.target_id)
            .where(Event.id > bindparam("after"), Event.id <= bindparam("upto"), Event.type != "impression")
            .order_by(Event.id)
        )
        self._newest = select(func.max(Event.id))
        self._touched: deque[tuple[float, dict[str, np.ndarray]]] = deque()  # feature rows events moved lately
        self._tables: list[FeatureRows] = []
        self.generation = 0  # moves when dense indices move (a re-sort): the feature rows start again
        self._load()

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def nbytes(self) -> int:
        arrays = (self.ids, self.author, self.created_ts, self.deleted, self.phash, self.user_ids, self.private)
        return sum(a.nbytes for a in arrays) + sum(len(n) + 49 for n in self.usernames)

    def facts(self, post_ids: Sequence[int] | np.ndarray) -> Facts:
        """The facts of `post_ids` now (following the outbox first when the last look is stale)."""
        ids = np.asarray(post_ids, dtype=np.int64).reshape(-1)
        with self._lock:
            self._follow()
            rows = self._rows(ids)
            if (rows < 0).any():  # not seen yet: read from the database, kept from now on
                with self.engine.connect() as conn:
                    self._read(conn, ids[rows < 0], np.zeros(0, dtype=np.int64))
                rows = self._rows(ids)
            known = rows >= 0
            safe = np.where(known, rows, 0)
            author = np.where(known, self.author[safe] if len(self.ids) else -1, -1)
            users = self._user_rows(author)
            private = np.where(users >= 0, self.private[np.maximum(users, 0)] if len(self.user_ids) else False, False)
            return Facts(
                known,
                author,
                np.where(known, self.created_ts[safe] if len(self.ids) else np.nan, np.nan),
                np.where(known, self.deleted[safe] if len(self.ids) else True, True),
                private.astype(bool),
                np.where(known, self.phash[safe] if len(self.ids) else NO_PHASH, NO_PHASH),
            )

    def usernames_of(self, author_ids: Sequence[int]) -> list[str | None]:
        with self._lock:
            rows = self._user_rows(np.asarray(author_ids, dtype=np.int64))
            return [self.usernames[r] if r >= 0 else None for r in rows.tolist()]

    def follow(self) -> None:
        """Read the outbox now, whatever `refresh_s` says (tests, and the relay after its own writes)."""
        with self._lock:
            self._looked = -np.inf
            self._follow()

    def _load(self) -> None:
        with self.engine.connect() as conn:
            self._last_event = int(conn.scalar(select(Event.id).order_by(Event.id.desc()).limit(1)) or 0)
            self._store_users(conn.execute(self._users.order_by(User.id)).all())
            self._store_posts(conn.execute(self._posts.order_by(Post.id)).all())
        self._marks.append((self.clock(), self._last_event))
        self._looked = self.clock()

    def _follow(self) -> None:
        now = self.clock()
        if now - self._looked < self.config.refresh_s:
            return
        self._looked = now
        while len(self._marks) > 1 and now - self._marks[1][0] >= self.config.settle_s:
            self._marks.popleft()
        with self.engine.connect() as conn:
            changes = conn.execute(self._facts_events, {"after": self._marks[0][1]}).all()
            if changes:
                posts = np.array([e.post_id for e in changes if e.type in POST_EVENTS and e.post_id], dtype=np.int64)
                users = np.array([e.target_id for e in changes if e.type in USER_EVENTS and e.target_id], np.int64)
                self._read(conn, posts, users)
            newest = max(self._last_event, int(conn.scalar(self._newest) or 0))
            events = (
                conn.execute(self._row_events, {"after": self._last_event, "upto": newest}).all()
                if self._tables
                else changes
            )
        self._last_event = newest
        self._marks.append((now, newest))
        if self._tables:
            self._invalidate(now, events)

    def _invalidate(self, now: float, events: Sequence[Any]) -> None:
        """Feature rows the events changed (`features.stream.deltas`) are read again at their next use, and
        again at every refresh for `settle_s`, so a row the relay pushes a moment later is read as pushed.
        (An event committed behind a newer one, on PostgreSQL, moves its rows only at `max_age_s`.)"""
        touched: dict[str, set[int]] = {"post": set(), "author": set()}
        for e in events:
            if e.type == "post_created" and e.post_id is not None:
                touched["post"].add(int(e.post_id))
            for view, key, _ in event_deltas(e.type, e.actor_id, e.post_id, e.target_id):
                entity = "post" if view == "post_stats" else "author" if view == "author_stats" else None
                if entity is not None:
                    touched[entity].add(int(key[0]))
        self._touched.append((now, {k: np.fromiter(v, dtype=np.int64, count=len(v)) for k, v in touched.items()}))
        while now - self._touched[0][0] > self.config.settle_s:
            self._touched.popleft()
        for table in self._tables:
            ids = [moved[table.entity] for _, moved in self._touched]
            table.forget(np.unique(np.concatenate(ids)))

    def feature_rows(self, view: str, width: int, *, keep_missing: bool = True) -> FeatureRows:
        """A table of one post or author feature view's rows for this catalogue (`features.hydrate`)."""
        entity = next(e for e, views in ENTITY_VIEWS.items() if view in views)
        table = FeatureRows(self, entity, width, keep_missing)
        with self._lock:
            self._tables.append(table)
        return table

    def _read(self, conn: Connection, posts: np.ndarray, users: np.ndarray) -> None:
        if len(posts):
            self._store_posts(conn.execute(self._posts.where(in_ids(Post.id, "ids")), {"ids": posts.tolist()}).all())
            users = np.union1d(
                users, np.setdiff1d(self.author[self._rows(posts)[self._rows(posts) >= 0]], self.user_ids)
            )
        if len(users):  # the accounts named, and those of posts by an account not seen yet
            self._store_users(conn.execute(self._users.where(in_ids(User.id, "ids")), {"ids": users.tolist()}).all())

    def _store_posts(self, rows: Sequence[Row[int, int, datetime, bool, int | None]]) -> None:
        if not rows:
            return
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        author = np.array([r[1] for r in rows], dtype=np.int64)
        created = np.array([r[2].timestamp() for r in rows])
        deleted = np.array([bool(r[3]) for r in rows], dtype=np.bool_)
        phash = np.array([NO_PHASH if r[4] is None else r[4] for r in rows], dtype=np.int64)
        at = self._rows(ids)
        old = at >= 0
        self.author[at[old]], self.created_ts[at[old]], self.deleted[at[old]] = author[old], created[old], deleted[old]
        self.phash[at[old]] = phash[old]
        new = ~old
        if new.any():  # new posts: appended, and sorted again only if one is older than the newest known
            self.ids = np.concatenate([self.ids, ids[new]])
            self.author = np.concatenate([self.author, author[new]])
            self.created_ts = np.concatenate([self.created_ts, created[new]])
            self.deleted = np.concatenate([self.deleted, deleted[new]])
            self.phash = np.concatenate([self.phash, phash[new]])
            if len(self.ids) > 1 and (np.diff(self.ids) < 0).any():
                self.generation += 1
                order = np.argsort(self.ids, kind="stable")
                self.ids, self.author = self.ids[order], self.author[order]
                self.created_ts, self.deleted, self.phash = (
                    self.created_ts[order],
                    self.deleted[order],
                    self.phash[order],
                )

    def _store_users(self, rows: Sequence[Row[int, bool, str]]) -> None:
        if not rows:
            return
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        private = np.array([bool(r[1]) for r in rows], dtype=np.bool_)
        names = [str(r[2]) for r in rows]
        at = self._user_rows(ids)
        for row, i in zip(at.tolist(), range(len(ids)), strict=True):
            if row >= 0:
                self.private[row], self.usernames[row] = private[i], names[i]
        new = np.flatnonzero(at < 0)
        if len(new):
            user_ids = np.concatenate([self.user_ids, ids[new]])
            order = np.argsort(user_ids, kind="stable")
            if (order != np.arange(len(order))).any():
                self.generation += 1
            self.user_ids = user_ids[order]
            self.private = np.concatenate([self.private, private[new]])[order]
            usernames = [*self.usernames, *(names[i] for i in new.tolist())]
            self.usernames = [usernames[i] for i in order.tolist()]

    def _rows(self, ids: np.ndarray) -> np.ndarray:
        return _positions(self.ids, ids)

    def _user_rows(self, ids: np.ndarray) -> np.ndarray:
        return _positions(self.user_ids, ids)


def _positions(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Each id's position in `sorted_ids`, -1 where it is not there."""
    if not len(sorted_ids):
        return np.full(len(ids), -1, dtype=np.int64)
    at = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return np.where(sorted_ids[at] == ids, at, -1).astype(np.int64)


class FeatureRows:
    """One post or author feature view's decoded rows, by the catalogue's dense index (the `RowCache`
    interface, for `features.hydrate.Hydrator`): a row is kept until an event changes it, or `max_age_s`."""

    def __init__(self, catalogue: PostCatalogue, entity: str, width: int, keep_missing: bool) -> None:
        self.catalogue, self.entity, self.width, self.keep_missing = catalogue, entity, width, keep_missing
        self.values = np.zeros((0, width))
        self.loaded = np.zeros(0)  # when each row was read (clock seconds); -inf: never, or forgotten
        self.generation = -1

    def _rows(self, ids: Sequence[Any] | np.ndarray) -> np.ndarray:
        catalogue = self.catalogue
        keys = np.asarray(ids, dtype=np.int64).reshape(-1)
        rows = catalogue._rows(keys) if self.entity == "post" else catalogue._user_rows(keys)
        size = len(catalogue.ids) if self.entity == "post" else len(catalogue.user_ids)
        if self.generation != catalogue.generation:
            self.values, self.loaded, self.generation = np.zeros((0, self.width)), np.zeros(0), catalogue.generation
        if size > len(self.loaded):  # the catalogue grew: room for its new rows, not read yet
            grown = max(size, 2 * len(self.loaded), 1024)
            self.values = np.vstack([self.values, np.full((grown - len(self.values), self.width), np.nan)])
            self.loaded = np.concatenate([self.loaded, np.full(grown - len(self.loaded), -np.inf)])
        return rows

    def get(self, ids: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, missed), as `RowCache.get`: NaN rows where `missed` (following the outbox first, if stale)."""
        with self.catalogue._lock:
            self.catalogue._follow()
            rows = self._rows(ids)
            known = rows >= 0
            # A post the catalogue does not know is not in the database (its facts were read first): it
            # has no online row either, and its defaults need no read.
            hit = ~known
            hit[known] = self.loaded[rows[known]] > self.catalogue.clock() - self.catalogue.config.max_age_s
            out = np.full((len(rows), self.width), np.nan)
            fresh = hit & known
            out[fresh] = self.values[rows[fresh]]
            return out, ~hit

    def put(self, ids: Sequence[Any], values: np.ndarray) -> None:
        with self.catalogue._lock:
            rows = self._rows(ids)
            keep = rows >= 0
            if not self.keep_missing:  # an absent row may appear any moment (a post's content pushed late)
                keep &= ~np.isnan(values).all(axis=1)
            self.values[rows[keep]] = values[keep]
            self.loaded[rows[keep]] = self.catalogue.clock()

    def forget(self, ids: np.ndarray) -> None:
        """Called with the catalogue's lock held."""
        rows = self._rows(ids)
        self.loaded[rows[rows >= 0]] = -np.inf

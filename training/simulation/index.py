"""What the platform can see, held in memory: the DB's posts, follow graph and engagement so far.

Loaded from the tables and the outbox (never from the truth file), indexed by the world's user and
post indices, and kept current as simulated sessions act. Heuristic policies read only this.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Engine

from social_core.models import Event, Follow, Hide, Like, Post, Save
from training.simulation.behaviour import Exposure
from training.simulation.errors import SimulationError
from training.simulation.truth import Truth

ENGAGEMENT_EVENTS = ("like", "comment", "save", "share")


class Popularity:
    """Engagement decayed with a half-life: score(p, now) = Σ_i 2^(−(now − t_i)/h) over p's engagements.

    Stored as Σ 2^((t_i − origin)/h) (one add per engagement), rebased as the clock moves so it never
    overflows. Engagements apply only once the clock passes them (`advance`), so a ranking at `now`
    never sees its future; `advance` must be called with non-decreasing times.
    """

    REBASE_HALF_LIVES = 64.0

    def __init__(self, post_at: np.ndarray, origin: float, half_life_s: float) -> None:
        self.post_at, self.origin, self.half_life = post_at, origin, half_life_s
        self.total = np.zeros(len(post_at))
        self._pending: list[tuple[float, int]] = []

    def add(self, post: int, at: float) -> None:
        heapq.heappush(self._pending, (at, post))

    def add_many(self, posts: np.ndarray, at: np.ndarray) -> None:
        self._pending.extend(zip(at.tolist(), posts.tolist(), strict=True))
        heapq.heapify(self._pending)

    def advance(self, now: float) -> None:
        if now - self.origin > self.REBASE_HALF_LIVES * self.half_life:
            self.total *= np.exp2((self.origin - now) / self.half_life)
            self.origin = now
        while self._pending and self._pending[0][0] < now:
            at, post = heapq.heappop(self._pending)
            self.total[post] += np.exp2((at - self.origin) / self.half_life)

    def scores(self, posts: np.ndarray, now: float) -> np.ndarray:
        """Decayed engagement at `now`; a post also counts a millionth of one at creation (ties: newest first)."""
        decay = np.exp2((self.origin - now) / self.half_life)
        return np.asarray(self.total[posts] * decay + 1e-6 * np.exp2((self.post_at[posts] - now) / self.half_life))


@dataclass
class FeedIndex:
    user_ids: np.ndarray  # database id per world user index
    post_ids: np.ndarray  # database id per post index (ascending, so post index order is time order)
    post_author: np.ndarray  # author's user index per post
    post_at: np.ndarray  # epoch seconds per post
    alive: np.ndarray  # bool: the post exists (not deleted) in the database
    following_ptr: np.ndarray  # CSR: followees of user u are following[following_ptr[u]:following_ptr[u + 1]]
    following: np.ndarray
    author_ptr: np.ndarray  # CSR: posts of author a are author_posts[author_ptr[a]:author_ptr[a + 1]]
    author_posts: np.ndarray
    popularity: Popularity
    seen: defaultdict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    hidden: defaultdict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    liked: set[tuple[int, int]] = field(default_factory=set)
    saved: set[tuple[int, int]] = field(default_factory=set)
    interactions: defaultdict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    hides: defaultdict[int, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))

    def __post_init__(self) -> None:
        # follower * n_users + followee for every edge, ascending (CSR order): batched "follows?" lookups
        followers = np.repeat(np.arange(self.n_users, dtype=np.int64), np.diff(self.following_ptr))
        self.following_keys = followers * self.n_users + self.following

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    def user_index(self, user_id: int) -> int:
        i = int(np.searchsorted(self.user_ids, user_id))
        if i >= len(self.user_ids) or self.user_ids[i] != user_id:
            raise KeyError(f"user {user_id} is not part of the simulated world")
        return i

    def post_indices(self, post_ids: list[int]) -> np.ndarray:
        """Post indices of database ids, dropping ids outside the world."""
        ids = np.asarray(post_ids, dtype=np.int64)
        i = np.minimum(np.searchsorted(self.post_ids, ids), len(self.post_ids) - 1)
        return np.asarray(i[self.post_ids[i] == ids])

    def followees(self, user: int) -> np.ndarray:
        return self.following[self.following_ptr[user] : self.following_ptr[user + 1]]

    def in_network(self, user: int, now: float) -> np.ndarray:
        """Posts by accounts `user` follows, created before `now`, newest first."""
        authors = self.followees(user)
        starts, ends = self.author_ptr[authors], self.author_ptr[authors + 1]
        lengths = ends - starts
        offsets = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(lengths.sum())
        posts = self.author_posts[offsets]
        return np.sort(posts[self.post_at[posts] < now])[::-1]

    def recent(self, now: float, window_s: float) -> np.ndarray:
        """Posts created in [now − window, now)."""
        lo, hi = np.searchsorted(self.post_at, [now - window_s, now])
        return np.arange(lo, hi)

    def eligible(self, user: int, ordered: np.ndarray, k: int) -> list[int]:
        """The first k of `ordered` the user may be shown: alive, not their own, not seen, not hidden."""
        seen, hidden = self.seen.get(user, set()), self.hidden.get(user, set())
        out: list[int] = []
        for post in ordered.tolist():
            if post not in seen and post not in hidden and self.alive[post] and self.post_author[post] != user:
                out.append(post)
                if len(out) == k:
                    break
        return out

    def exposure(self, user: int, posts: np.ndarray, now: float, positions: np.ndarray | None = None) -> Exposure:
        authors = self.post_author[posts]
        return Exposure(
            users=np.full(len(posts), user),
            posts=posts,
            positions=np.zeros(len(posts)) if positions is None else positions,
            age_s=now - self.post_at[posts],
            followed=_contains(self.followees(user), authors),
            interactions=_lookup(self.interactions.get(user), authors, self.n_users),
            hides=_lookup(self.hides.get(user), authors, self.n_users),
        )

    def exposures(self, users: np.ndarray, posts: np.ndarray, now: np.ndarray, positions: np.ndarray) -> Exposure:
        """The same for a batch of impressions of many users (one entry per impression)."""
        authors = self.post_author[posts]
        pairs = list(zip(users.tolist(), authors.tolist(), strict=True))
        return Exposure(
            users=users,
            posts=posts,
            positions=positions,
            age_s=now - self.post_at[posts],
            followed=_contains(self.following_keys, users.astype(np.int64) * self.n_users + authors),
            interactions=np.array([self.interactions[u].get(a, 0) if u in self.interactions else 0 for u, a in pairs]),
            hides=np.array([self.hides[u].get(a, 0) if u in self.hides else 0 for u, a in pairs]),
        )

    def record(self, kind: str, user: int, post: int, at: float) -> None:
        """Keep the index current after an action (or an impression) of a simulated session."""
        author = int(self.post_author[post])
        if kind == "impression":
            self.seen[user].add(post)
        elif kind == "hide":
            self.hidden[user].add(post)
            self.hides[user][author] = self.hides[user].get(author, 0) + 1
        else:
            self.interactions[user][author] = self.interactions[user].get(author, 0) + 1
            self.popularity.add(post, at)
            if kind == "like":
                self.liked.add((user, post))
            elif kind == "save":
                self.saved.add((user, post))


def load_index(engine: Engine, truth: Truth, half_life_s: float) -> FeedIndex:
    """Read the world's posts, follows and past engagement back from the database."""
    users, posts = truth.user_ids, truth.post_ids
    with engine.connect() as conn:
        alive_posts = select(Post.id, Post.author_id, Post.created_at).where(Post.deleted_at.is_(None))
        post_rows = _tuples(conn.execute(alive_posts))
        follows = _tuples(conn.execute(select(Follow.follower_id, Follow.followee_id)))
        kinds = [*ENGAGEMENT_EVENTS, "hide", "impression"]
        history = _tuples(
            conn.execute(
                select(Event.type, Event.actor_id, Event.post_id, Event.created_at).where(Event.type.in_(kinds))
            )
        )
        done = {
            table.__tablename__: _tuples(conn.execute(select(table.user_id, table.post_id)))
            for table in (Like, Save, Hide)
        }
    found = _members(posts, [row[0] for row in post_rows])
    if not (found >= 0).any():
        raise SimulationError("the database holds none of the seeded world's posts: seed it into this database first")
    alive = np.zeros(len(posts), dtype=bool)
    alive[found[found >= 0]] = True
    post_author, post_at = truth.post_author.copy(), truth.post_at.copy()  # kept only for posts gone from the DB
    post_author[found[found >= 0]] = _members(users, [row[1] for row in post_rows])[found >= 0]
    post_at[found[found >= 0]] = [row[2].timestamp() for row, f in zip(post_rows, found, strict=True) if f >= 0]
    pairs = np.array(follows, dtype=np.int64).reshape(-1, 2)
    src, dst = _members(users, pairs[:, 0]), _members(users, pairs[:, 1])
    keep = (src >= 0) & (dst >= 0)
    following_ptr, following = _csr(src[keep], dst[keep], len(users))
    author_ptr, author_posts = _csr(post_author, np.arange(len(posts)), len(users))
    index = FeedIndex(
        user_ids=users,
        post_ids=posts,
        post_author=post_author,
        post_at=post_at,
        alive=alive,
        following_ptr=following_ptr,
        following=following,
        author_ptr=author_ptr,
        author_posts=author_posts,
        popularity=Popularity(post_at, truth.start, half_life_s),
    )
    _replay(index, history, done)
    return index


def _replay(index: FeedIndex, history: list[tuple[Any, ...]], done: dict[str, list[tuple[Any, ...]]]) -> None:
    """Rebuild seen/hidden sets, author closeness and popularity from earlier sessions."""
    for name, target in (("likes", index.liked), ("saves", index.saved)):
        target.update(zip(*_pairs(index, done[name]), strict=True))
    for user, post in zip(*_pairs(index, done["hides"]), strict=True):
        index.hidden[user].add(post)
    if not history:
        return
    kinds = np.array([row[0] for row in history])
    users = _members(index.user_ids, [row[1] or 0 for row in history])
    posts = _members(index.post_ids, [row[2] or 0 for row in history])
    known = (users >= 0) & (posts >= 0)
    for kind, u, p in zip(kinds[known].tolist(), users[known].tolist(), posts[known].tolist(), strict=True):
        if kind == "impression":
            index.seen[u].add(p)
        else:
            author = int(index.post_author[p])
            table = index.hides if kind == "hide" else index.interactions
            table[u][author] = table[u].get(author, 0) + 1
    engaged = known & np.isin(kinds, ENGAGEMENT_EVENTS)
    at = np.array([row[3].timestamp() for row in history])
    index.popularity.add_many(posts[engaged], at[engaged])


def _tuples(result: Any) -> list[tuple[Any, ...]]:
    # Plain tuples: numpy probes Row objects attribute by attribute, which is slow.
    return [tuple(row) for row in result]


def _pairs(index: FeedIndex, rows: list[tuple[Any, ...]]) -> tuple[list[int], list[int]]:
    pairs = np.array(rows, dtype=np.int64).reshape(-1, 2)
    users, posts = _members(index.user_ids, pairs[:, 0]), _members(index.post_ids, pairs[:, 1])
    keep = (users >= 0) & (posts >= 0)
    return users[keep].tolist(), posts[keep].tolist()


def _members(sorted_ids: np.ndarray, ids: list[int] | np.ndarray) -> np.ndarray:
    """Index of each id in `sorted_ids`, or -1 when absent."""
    ids = np.asarray(ids, dtype=np.int64)
    if len(sorted_ids) == 0 or len(ids) == 0:
        return np.full(len(ids), -1, dtype=np.int64)
    i = np.minimum(np.searchsorted(sorted_ids, ids), len(sorted_ids) - 1)
    return np.where(sorted_ids[i] == ids, i, -1)


def _csr(rows: np.ndarray, cols: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    order = np.lexsort((cols, rows))
    return np.concatenate(([0], np.cumsum(np.bincount(rows, minlength=n)))), np.asarray(cols)[order]


def _contains(sorted_values: np.ndarray, values: np.ndarray) -> np.ndarray:
    if len(sorted_values) == 0:
        return np.zeros(len(values), dtype=bool)
    i = np.minimum(np.searchsorted(sorted_values, values), len(sorted_values) - 1)
    return np.asarray(sorted_values[i] == values)


def _lookup(counts: dict[int, int] | None, authors: np.ndarray, n_users: int) -> np.ndarray:
    if not counts:
        return np.zeros(len(authors))
    dense = np.zeros(n_users)
    dense[list(counts)] = list(counts.values())
    return np.asarray(dense[authors])

"""Post facts from the database: author (fan-out entries carry none), deleted, author private, username.

A post the database does not know is marked deleted. Errors propagate: without these facts the
visibility filters cannot run, and serving a post nobody checked is worse than an error.

Serving keeps the facts read lately for a few seconds (`PostFactsCache`, one per app, `post_facts_ttl_s`):
the same posts are candidates for many viewers, and reading them was the largest database cost of a
ranking. A post deleted, or an author gone private, within that time can still be ranked; each page is
checked again as it leaves (`serving.feed.guard`), as it is for the ranked lists cached for minutes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Engine

from ranking.types import RankingContext, ScoredCandidate
from social_core.id_list import in_ids
from social_core.models import Post, User
from social_core.types import PostId, UserId


@dataclass(frozen=True, slots=True)
class PostFacts:
    author_id: UserId
    deleted: bool
    author_private: bool
    author_name: str


class PostFactsCache:
    """Facts by post id, each for `ttl_s` seconds; when it holds `max_posts`, the expired go, or else all."""

    def __init__(self, ttl_s: float, clock: Callable[[], float] = time.monotonic, max_posts: int = 200_000) -> None:
        self.ttl_s, self.clock, self.max_posts = ttl_s, clock, max_posts
        self._facts: dict[PostId, tuple[float, PostFacts]] = {}  # id -> (expires, facts)

    def __len__(self) -> int:
        return len(self._facts)

    def get(self, ids: Sequence[PostId]) -> dict[PostId, PostFacts]:
        now, find, found = self.clock(), self._facts.get, {}
        for post_id in ids:
            entry = find(post_id)
            if entry is not None and entry[0] > now:
                found[post_id] = entry[1]
        return found

    def put(self, facts: Mapping[PostId, PostFacts]) -> None:
        if self.ttl_s <= 0 or not facts:
            return
        if len(self._facts) + len(facts) > self.max_posts:
            now = self.clock()
            fresh = {post_id: entry for post_id, entry in self._facts.items() if entry[0] > now}
            self._facts = fresh if len(fresh) + len(facts) <= self.max_posts else {}
        expires = self.clock() + self.ttl_s
        self._facts.update((post_id, (expires, fact)) for post_id, fact in facts.items())


class PostFactsHydrator:
    name = "post_facts"

    def __init__(self, engine: Engine, cache: PostFactsCache | None = None) -> None:
        self.engine, self.cache = engine, cache
        self._facts = (  # built once, run with each request's ids (see `ViewerGraphHydrator`, `in_ids`)
            select(Post.id, Post.author_id, Post.deleted_at.is_not(None), User.is_private, User.username)
            .join(User, User.id == Post.author_id)
            .where(in_ids(Post.id, "post_ids"))
        )

    def __call__(self, context: RankingContext, candidates: Sequence[ScoredCandidate]) -> None:
        if not candidates:
            return
        ids = [c.post_id for c in candidates]
        facts = self.cache.get(ids) if self.cache is not None else {}
        if len(facts) < len(ids):
            read = self._read([post_id for post_id in ids if post_id not in facts])
            if self.cache is not None:
                self.cache.put(read)  # unknown ids are not kept: a post may appear any moment
            facts |= read
        for candidate in candidates:
            fact = facts.get(candidate.post_id)
            if fact is None:
                candidate.deleted = True
                continue
            candidate.author_id = fact.author_id
            candidate.deleted = fact.deleted
            candidate.author_private = fact.author_private
            candidate.author_name = fact.author_name

    def _read(self, ids: list[PostId]) -> dict[PostId, PostFacts]:
        with self.engine.connect() as conn:
            rows = conn.execute(self._facts, {"post_ids": ids}).all()
        return {int(r[0]): PostFacts(int(r[1]), bool(r[2]), bool(r[3]), str(r[4])) for r in rows}

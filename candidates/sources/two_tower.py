"""`two_tower`: approximate nearest posts to the user's two-tower embedding (FAISS).

For the feed it is the out-of-network source (followed authors and the user's own posts are
dropped); for explore it is the whole catalogue (`out_of_network=False`). The user's history is
their latest engagements before `now`; dense features come from `dense_features(user_id)` (the
`two_tower_v1` user features online, `two_tower.user_features`; zeros when unavailable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Connection, Engine

from candidates.index import PostIndex
from candidates.sources.base import Source, query_now
from candidates.sources.engagement import at, engagements
from candidates.two_tower.embed import embed_users
from candidates.two_tower.inputs import pad_rows
from candidates.two_tower.model import TwoTower
from candidates.types import Candidate, CandidateQuery
from social_core.id_list import in_ids
from social_core.models import Follow, Post


@dataclass(frozen=True)
class TwoTowerSourceConfig:
    out_of_network: bool = True
    history_days: float = 90.0
    overfetch: float = 2.0  # search this many times `limit`, since filters drop some


class TwoTowerSource(Source):
    name = "two_tower"

    def __init__(
        self,
        model: TwoTower,
        index: PostIndex,
        engine: Engine,
        config: TwoTowerSourceConfig | None = None,
        dense_features: Callable[[int], np.ndarray | None] | None = None,
    ) -> None:
        self.model, self.index, self.engine = model, index, engine
        self.config = config or TwoTowerSourceConfig()
        self.dense_features = dense_features or (lambda _user: None)
        # Built once, run with each request's values: building SQLAlchemy statements per request showed in profiles.
        rows = engagements(bindparam("since"), bindparam("until")).subquery()
        self._history = (
            select(rows.c.post_id)
            .where(rows.c.user_id == bindparam("user_id"))
            .order_by(rows.c.created_at.desc())
            .limit(bindparam("limit"))
        )
        self._live_authors = select(Post.id, Post.author_id).where(
            in_ids(Post.id, "post_ids"),
            Post.deleted_at.is_(None),
            Post.created_at <= bindparam("now"),
        )
        self._followees = select(Follow.followee_id).where(Follow.follower_id == bindparam("user_id"))

    def fetch(self, query: CandidateQuery) -> list[Candidate]:
        now = query_now(query)
        user = self.user_embedding(query.user_id, now)
        ids, scores = self.index.search(user, int(query.limit * self.config.overfetch) + len(query.exclude_post_ids))
        found = [
            (post, score)
            for post, score in zip(ids[0].tolist(), scores[0].tolist(), strict=True)
            if post >= 0 and post not in query.exclude_post_ids
        ]
        # Most found posts are kept: their authors are read about `limit` at a time, best first, until
        # `limit` are in (reading all of the overfetch was most of this source's time).
        step = max(query.limit + query.limit // 4, 1)
        out: list[Candidate] = []
        with self.engine.connect() as conn:
            excluded = self._excluded(conn, query.user_id)
            for start in range(0, len(found), step):
                chunk = found[start : start + step]
                rows = conn.execute(self._live_authors, {"post_ids": [p for p, _ in chunk], "now": at(now)}).all()
                authors = {int(p): int(a) for p, a in rows}
                out += [
                    Candidate(post, authors[post], {self.name: score})
                    for post, score in chunk
                    if post in authors and authors[post] not in excluded
                ]
                if len(out) >= query.limit:
                    break
        return out[: query.limit]

    def user_embedding(self, user_id: int, now: float) -> np.ndarray:
        config = self.model.config
        since, until = at(now - self.config.history_days * 86_400), at(now)
        window = {"user_id": user_id, "since": since, "until": until, "limit": config.history * 2}
        with self.engine.connect() as conn:
            history = list(dict.fromkeys(int(p) for p in conn.scalars(self._history, window).all()))
        dense = self.dense_features(user_id)
        dense_row = np.zeros((1, config.user_dense), np.float32) if dense is None else np.asarray(dense)[None, :]
        return embed_users(self.model, np.array([user_id]), pad_rows([history], config.history), dense_row)

    def _excluded(self, conn: Connection, user_id: int) -> set[int]:
        """The authors to leave out: the user, and (out of network) whom they follow."""
        excluded = {user_id}
        if self.config.out_of_network:
            excluded |= {int(a) for a in conn.scalars(self._followees, {"user_id": user_id}).all()}
        return excluded

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
from sqlalchemy.engine import Engine

from candidates.index import PostIndex
from candidates.sources.base import Source, query_now
from candidates.sources.engagement import at, engagements
from candidates.two_tower.embed import embed_users
from candidates.two_tower.inputs import pad_rows
from candidates.two_tower.model import TwoTower
from candidates.types import CandidateQuery, Proposals
from features.catalogue import PostCatalogue
from social_core.models import Follow


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
        catalogue: PostCatalogue,
        config: TwoTowerSourceConfig | None = None,
        dense_features: Callable[[int], np.ndarray | None] | None = None,
    ) -> None:
        self.model, self.index, self.engine, self.catalogue = model, index, engine, catalogue
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
        self._followees = select(Follow.followee_id).where(Follow.follower_id == bindparam("user_id"))

    def fetch(self, query: CandidateQuery) -> Proposals:
        now = query_now(query)
        user = self.user_embedding(query.user_id, now)
        ids, scores = self.index.search(user, int(query.limit * self.config.overfetch) + len(query.exclude_post_ids))
        found = ids[0] >= 0
        posts, scores = ids[0][found], scores[0][found]
        if query.exclude_post_ids:
            kept = ~np.isin(posts, np.fromiter(query.exclude_post_ids, dtype=np.int64))
            posts, scores = posts[kept], scores[kept]
        facts = self.catalogue.facts(posts)  # live posts by authors not left out, in the index's order
        excluded = np.fromiter(self._excluded(query), dtype=np.int64)
        live = facts.known & ~facts.deleted & (facts.created_ts <= now) & ~np.isin(facts.author_id, excluded)
        rows = np.flatnonzero(live)[: query.limit]
        return Proposals.of(posts[rows], facts.author_id[rows], scores[rows])

    def user_embedding(self, user_id: int, now: float) -> np.ndarray:
        config = self.model.config
        since, until = at(now - self.config.history_days * 86_400), at(now)
        window = {"user_id": user_id, "since": since, "until": until, "limit": config.history * 2}
        with self.engine.connect() as conn:
            history = list(dict.fromkeys(int(p) for p in conn.scalars(self._history, window).all()))
        dense = self.dense_features(user_id)
        dense_row = np.zeros((1, config.user_dense), np.float32) if dense is None else np.asarray(dense)[None, :]
        return embed_users(self.model, np.array([user_id]), pad_rows([history], config.history), dense_row)

    def _excluded(self, query: CandidateQuery) -> set[int]:
        """The authors to leave out: the user, and (out of network) whom they follow (the query's followees
        when the caller read them, else from the database)."""
        excluded = {query.user_id}
        if not self.config.out_of_network:
            return excluded
        if query.followees is not None:
            return excluded | set(query.followees)
        with self.engine.connect() as conn:
            return excluded | {int(a) for a in conn.scalars(self._followees, {"user_id": query.user_id}).all()}

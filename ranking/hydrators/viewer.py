"""The viewer's graph, limited to the candidates' authors: blocks (either way), follows, hides.

Four small indexed queries, sent as one statement, per request instead of two queries per author.
Errors propagate, as for `PostFactsHydrator`: visibility must never be guessed.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import BindParameter, bindparam, func, literal, or_, select, union_all
from sqlalchemy.engine import Engine

from candidates.types import NO_AUTHOR
from ranking.frame import Frame
from ranking.types import RankingContext
from social_core.id_list import in_ids
from social_core.models import Block, Follow, Hide


class ViewerGraphHydrator:
    name = "viewer_graph"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Built once, run with each request's values: building SQLAlchemy statements per request showed in
        # profiles; so did rendering an expanding IN of ~800 ids on every call (`in_ids` binds the list as one value).
        me: BindParameter[int] = bindparam("me")
        blocks = select(literal("block"), Block.blocker_id, Block.blocked_id).where(
            or_(
                (Block.blocker_id == me) & in_ids(Block.blocked_id, "authors"),
                (Block.blocked_id == me) & in_ids(Block.blocker_id, "authors"),
            )
        )
        follows = select(literal("follow"), Follow.followee_id, literal(0)).where(
            Follow.follower_id == me, in_ids(Follow.followee_id, "authors")
        )
        hidden = select(literal("hide"), Hide.post_id, literal(0)).where(
            Hide.user_id == me, in_ids(Hide.post_id, "posts")
        )
        per_author = (
            select(literal("hides"), Hide.author_id, func.count())
            .where(Hide.user_id == me, in_ids(Hide.author_id, "authors"))
            .group_by(Hide.author_id)
        )
        self._graph = union_all(blocks, follows, hidden, per_author)  # one round trip for the four answers

    def __call__(self, context: RankingContext, frame: Frame) -> None:
        viewer = context.viewer
        me = viewer.user_id
        authors = np.unique(frame.author_id)
        authors = authors[(authors != NO_AUTHOR) & (authors != me)].tolist()
        posts = frame.post_id.tolist()
        if not authors and not posts:
            return
        with self.engine.connect() as conn:
            rows = conn.execute(self._graph, {"me": me, "authors": authors, "posts": posts}).all()
        for kind, a, b in rows:
            if kind == "block":
                viewer.blocked.add(int(b if a == me else a))
            elif kind == "follow":
                viewer.followed.add(int(a))
            elif kind == "hide":
                viewer.hidden_posts.add(int(a))
            else:
                viewer.hides_by_author[int(a)] = int(b)

"""The viewer's graph, read once before the sources: blocks (either way), follows, hides.

One statement per request (a product-mixer query hydrator: it needs the viewer, not the candidates), so
the sources that need the viewer's follows (out-of-network two-tower, the celebrities `following`
pulls) take them from the query instead of reading them again. Errors propagate: visibility must never
be guessed.
"""

from __future__ import annotations

from sqlalchemy import BindParameter, bindparam, literal, or_, select, union_all
from sqlalchemy.engine import Engine

from ranking.types import RankingContext
from social_core.models import Block, Follow, Hide, User


class ViewerGraphHydrator:
    name = "viewer_graph"

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        # Built once, run with each request's values: building SQLAlchemy statements per request showed in profiles.
        me: BindParameter[int] = bindparam("me")
        blocks = select(literal("block"), Block.blocker_id, Block.blocked_id).where(
            or_(Block.blocker_id == me, Block.blocked_id == me)
        )
        follows = (
            select(literal("follow"), Follow.followee_id, User.followers_count)
            .join(User, User.id == Follow.followee_id)
            .where(Follow.follower_id == me)
        )
        hides = select(literal("hide"), Hide.post_id, Hide.author_id).where(Hide.user_id == me)
        self._graph = union_all(blocks, follows, hides)  # one round trip for the three answers

    def __call__(self, context: RankingContext) -> None:
        viewer = context.viewer
        me = viewer.user_id
        with self.engine.connect() as conn:
            rows = conn.execute(self._graph, {"me": me}).all()
        for kind, a, b in rows:
            if kind == "block":
                viewer.blocked.add(int(b if a == me else a))
            elif kind == "follow":
                viewer.followed.add(int(a))
                viewer.followers_of[int(a)] = int(b)
            else:
                viewer.hidden_posts.add(int(a))
                viewer.hides_by_author[int(b)] = viewer.hides_by_author.get(int(b), 0) + 1

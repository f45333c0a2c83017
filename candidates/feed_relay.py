"""`FeedFanout`: the outbox relay's handler for the in-network feed (`post_created`, follows, blocks, …).

It is an `EventHandler` of `social_core.relay.Relay`: Redis errors propagate, so the relay leaves the
whole batch unprocessed and hands it over again later. Every effect is idempotent (ZADD of the same
member and score, ZREM, DEL), so a replayed batch is harmless: delayed, never lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from candidates import fanout
from candidates.fanout import FanoutConfig
from social_core.models import Event, Follow, User

GRAPH_EVENTS = ("follow", "unfollow", "block", "unblock")


class FeedFanout:
    name = "feed_fanout"

    def __init__(self, redis: Any, config: FanoutConfig | None = None) -> None:
        self.redis, self.config = redis, config or FanoutConfig()

    def __call__(self, events: Sequence[Event]) -> None:
        if not events:
            return
        # Read followers through the relay's own session: on SQLite a second connection would wait
        # for the write lock the relay holds on its batch.
        session = object_session(events[0])
        if session is None:
            raise ValueError("FeedFanout needs events loaded by the relay's session")
        for event in events:
            self.apply(session, event)

    def apply(self, session: Session, event: Event) -> None:
        actor, post, target = event.actor_id, event.post_id, event.target_id
        if event.type == "post_created" and post is not None and actor is not None:
            count = session.scalar(select(User.followers_count).where(User.id == actor)) or 0
            celebrity = fanout.is_celebrity(count, self.config)
            fans = [] if celebrity else followers(session, actor)
            fanout.fan_out(self.redis, post, actor, event.created_at.timestamp(), fans, celebrity, self.config)
        elif event.type == "post_deleted" and post is not None and actor is not None:
            fanout.remove_post(self.redis, post, actor, followers(session, actor), self.config.chunk)
        elif event.type in GRAPH_EVENTS and actor is not None and target is not None:
            fanout.invalidate(self.redis, actor, target)


def followers(session: Session, author_id: int) -> list[int]:
    return [int(f) for f in session.scalars(select(Follow.follower_id).where(Follow.followee_id == author_id))]

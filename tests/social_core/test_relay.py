from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from social_core import outbox, posts
from social_core.db import make_sessionmaker
from social_core.models import Event, User
from social_core.relay import Relay


class Recorder:
    name = "recorder"

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.fail = False

    def __call__(self, events: Sequence[Event]) -> None:
        if self.fail:
            raise ConnectionError("redis is down")
        self.seen += [event.id for event in events]


def test_relay_hands_events_over_in_order_and_retries_after_a_failure(
    engine: Engine, session: Session, make_user: Callable[..., User]
) -> None:
    alice = make_user("alice")
    for i in range(5):
        posts.create_post(session, alice, posts.NewPost(caption=f"post {i}"))
    session.commit()  # SQLite: release the write lock that even a read transaction takes here
    recorder = Recorder()
    relay = Relay(make_sessionmaker(engine), [recorder], batch_size=4)
    recorder.fail = True
    assert relay.drain() == 0
    assert len(outbox.fetch_unprocessed(session)) == 6  # nothing lost
    session.commit()
    recorder.fail = False
    assert relay.drain() == 6
    assert recorder.seen == sorted(recorder.seen) and len(recorder.seen) == 6
    assert outbox.fetch_unprocessed(session) == []
    session.commit()
    assert relay.run_once() == 0

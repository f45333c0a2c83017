"""`PostContents`: a post's media and hashtags, read once and then kept (posts are never edited)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from serving.post_contents import PostContents, read_contents
from social_core import accounts, posts
from social_core.db import make_sessionmaker
from tests.factories import make_media


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with make_sessionmaker(engine)() as session:
        yield session


def statements(engine: Engine) -> list[str]:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_contents_are_read_once_then_kept_and_match_a_fresh_read(engine: Engine, session: Session) -> None:
    alice = accounts.signup(session, "alice", "alice@example.com", "password123")
    media = [make_media(session, alice.id), make_media(session, alice.id)]
    first = posts.create_post(session, alice, posts.NewPost("dawn #sea #light", [media[1].id, media[0].id]))
    second = posts.create_post(session, alice, posts.NewPost("no tags"))
    ids = [first.id, second.id]
    contents = PostContents()
    read = contents(session, ids)
    assert read == read_contents(session, ids)
    assert [m.id for m in read[first.id].media] == [media[1].id, media[0].id]  # the post's order
    assert set(read[first.id].hashtags) == {"sea", "light"}
    assert read[second.id].media == () and read[second.id].hashtags == ()
    executed = statements(engine)
    again = contents(session, ids)
    assert executed == [] and all(again[i] is read[i] for i in ids)  # no query, the same objects


def test_the_least_recently_shown_post_is_dropped_past_capacity(session: Session) -> None:
    alice = accounts.signup(session, "alice", "alice@example.com", "password123")
    ids = [posts.create_post(session, alice, posts.NewPost(f"#{n}")).id for n in ("a", "b", "c")]
    contents = PostContents(capacity=2)
    contents(session, ids[:2])
    contents(session, ids[:1])  # a is shown again: b is now the oldest
    contents(session, ids[2:])
    assert len(contents) == 2
    kept = contents(session, [ids[0], ids[2]])
    assert kept[ids[0]].hashtags == ("a",) and kept[ids[2]].hashtags == ("c",)
    with pytest.raises(ValueError, match="at least 1"):
        PostContents(capacity=0)

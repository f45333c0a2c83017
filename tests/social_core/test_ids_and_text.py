from __future__ import annotations

from datetime import UTC, datetime

import pytest

from social_core import ids, text
from social_core.errors import Invalid
from social_core.pagination import decode_cursor, encode_cursor


def test_snowflakes_are_unique_increasing_and_carry_their_time() -> None:
    generator = ids.SnowflakeGenerator(node=7)
    made = [generator() for _ in range(10_000)]
    assert made == sorted(made)
    assert len(set(made)) == len(made)
    assert made[-1] < 2**63
    assert abs((ids.time_of(made[0]) - datetime.now(UTC)).total_seconds()) < 5
    at = datetime(2025, 6, 1, 12, tzinfo=UTC)
    assert ids.time_of(ids.id_for_time(at)) == at


def test_hashtags_and_mentions() -> None:
    caption = "Golden hour #Sunset #sunset #travel_2025 with @Alice and @bob.smith. email me@x.io #"
    assert text.hashtags(caption) == ["sunset", "travel_2025"]
    assert text.mentions(caption) == ["alice", "bob.smith"]


def test_cursors_round_trip_and_reject_garbage() -> None:
    assert decode_cursor(encode_cursor("2025-01-01T00:00:00", 42), 2) == ["2025-01-01T00:00:00", 42]
    for bad in ("!!!", encode_cursor(1, 2)):
        with pytest.raises(Invalid):
            decode_cursor(bad, 1)

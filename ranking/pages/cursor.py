"""Opaque page cursors of the feed and explore: a ranked list's position, or the chronological fallback's.

`RankedCursor`: which pipeline, which cached list (`list_id`), and the offset of the next item in it.
`ChronoCursor`: the last served (created_at, post id) of the chronological feed, for a keyset page.
Both carry the offset, so impressions keep counting positions from the top of the feed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from social_core.errors import Invalid
from social_core.pagination import decode_cursor, encode_cursor

RANKED, CHRONO = "r", "c"


@dataclass(frozen=True)
class RankedCursor:
    pipeline: str
    list_id: str  # "": no cached list (ranked without Redis); the next page ranks again
    offset: int


@dataclass(frozen=True)
class ChronoCursor:
    created_at: datetime
    post_id: int
    offset: int


Cursor = RankedCursor | ChronoCursor


def encode(cursor: Cursor) -> str:
    if isinstance(cursor, RankedCursor):
        return encode_cursor(RANKED, cursor.pipeline, cursor.list_id, cursor.offset)
    return encode_cursor(CHRONO, cursor.created_at.isoformat(), cursor.post_id, cursor.offset)


def decode(raw: str | None, pipeline: str) -> Cursor | None:
    """The cursor sent for `pipeline` (None: the first page); 422 for anything malformed or foreign."""
    if not raw:
        return None
    kind, first, second, offset = decode_cursor(raw, 4)
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise Invalid("invalid cursor")
    if kind == RANKED and first == pipeline and isinstance(second, str):
        return RankedCursor(pipeline, second, offset)
    if kind == CHRONO and pipeline == "feed" and isinstance(first, str) and isinstance(second, int):
        try:
            return ChronoCursor(datetime.fromisoformat(first), second, offset)
        except ValueError as error:
            raise Invalid("invalid cursor") from error
    raise Invalid("invalid cursor")

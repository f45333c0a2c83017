"""Bulk writes through SQLAlchemy Core: one executemany per chunk, for loaders of whole datasets."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection

from social_core.db import Base

CHUNK = 10_000


def chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def insert_chunks(
    conn: Connection,
    model: type[Base],
    rows: Iterable[dict[str, Any]],
    *,
    on_chunk: Callable[[int], None] | None = None,
) -> int:
    """Insert `rows` into `model`'s table, one executemany per `CHUNK` rows; returns how many were written."""
    written = 0
    for chunk in chunks(rows, CHUNK):
        conn.execute(insert(model), chunk)
        written += len(chunk)
        if on_chunk is not None:
            on_chunk(written)
    return written

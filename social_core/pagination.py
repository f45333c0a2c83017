"""Opaque keyset cursors: a page ends at a key, the next page starts strictly after it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, bindparam, tuple_
from sqlalchemy.orm import QueryableAttribute

from social_core.errors import Invalid

T = TypeVar("T")
S = TypeVar("S", bound=Select[*tuple[Any, ...]])

DEFAULT_LIMIT = 20
MAX_LIMIT = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(*key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(key)).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as error:
        raise Invalid("invalid cursor") from error
    if not isinstance(key, list) or len(key) != arity:
        raise Invalid("invalid cursor")
    return key


def keyset(query: S, *key: QueryableAttribute[Any], cursor: str | None, limit: int, descending: bool = True) -> S:
    """Order `query` by `key` and start strictly after the cursor's key; fetches one extra row for `page`."""
    query = query.order_by(*(column.desc() if descending else column.asc() for column in key)).limit(limit + 1)
    if cursor:
        values = decode_cursor(cursor, len(key))
        edge = [
            bindparam(None, _load(column, value), type_=column.type) for column, value in zip(key, values, strict=True)
        ]
        left, right = (tuple_(*key), tuple_(*edge)) if len(key) > 1 else (key[0], edge[0])
        query = query.where(left < right if descending else left > right)
    return query


def page(items: Sequence[T], limit: int, key: Callable[[T], Sequence[Any]]) -> Page[T]:
    """The first `limit` items of a `keyset` query's result, with the cursor of the last one if more follow."""
    more = len(items) > limit
    kept = list(items[:limit])
    next_cursor = encode_cursor(*(_dump(value) for value in key(kept[-1]))) if more else None
    return Page(kept, next_cursor)


def _dump(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _load(column: QueryableAttribute[Any], value: Any) -> Any:
    try:
        if column.type.python_type is datetime:
            return datetime.fromisoformat(value)
        if column.type.python_type is int:
            return int(value)
    except (TypeError, ValueError) as error:
        raise Invalid("invalid cursor") from error
    return value


def clamp_limit(limit: int) -> int:
    if limit < 1 or limit > MAX_LIMIT:
        raise Invalid(f"limit must be between 1 and {MAX_LIMIT}")
    return limit

"""`in_ids`: `column IN (...)` with a whole list of ids bound as ONE parameter.

SQLAlchemy's expanding IN renders one placeholder per id on every execution. With a ranking's ~800
candidate ids that rendering cost more than the queries themselves (about 5 ms of a 40 ms feed ranking,
profiled). Here the list travels as one value, so the statement's SQL is compiled once and cached: a
JSON array read by `json_each` on SQLite, an array compared with `= ANY` on PostgreSQL.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, Boolean, SQLColumnExpression, String, TypeDecorator, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType
from sqlalchemy.types import TypeEngine


class IdArray(TypeDecorator[Sequence[int]]):
    """A list of ids as one bound value: an array on PostgreSQL, JSON text elsewhere."""

    impl = String
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(ARRAY(BigInteger()))
        return dialect.type_descriptor(String())

    def process_bind_param(self, value: Sequence[int] | None, dialect: Dialect) -> Any:
        if value is None:
            raise ValueError("an id list cannot be NULL")
        ids = [int(v) for v in value]  # numpy integers too; anything else fails here, not in the driver
        return ids if dialect.name == "postgresql" else json.dumps(ids)


class InIds(ColumnElement[bool]):
    inherit_cache = True
    type = Boolean()
    _is_implicitly_boolean = True  # a predicate already: no `= 1` where booleans are integers (SQLite)
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 (SQLAlchemy's own convention)
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: ColumnElement[Any], ids: ColumnElement[Any]) -> None:
        self.column, self.ids = column, ids


def in_ids(column: SQLColumnExpression[Any], name: str) -> InIds:
    """`column` is one of the ids given at execution as `{name: [ids]}` (any length, empty included)."""
    return InIds(coercions.expect(roles.ExpressionElementRole, column), bindparam(name, type_=IdArray()))


@compiles(InIds)
def _unsupported(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    raise CompileError(f"in_ids supports SQLite and PostgreSQL, not {compiler.dialect.name}")


@compiles(InIds, "postgresql")
def _any(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(element.ids, **kw)})"


@compiles(InIds, "sqlite")
def _json_each(element: InIds, compiler: SQLCompiler, **kw: Any) -> str:
    column, ids = compiler.process(element.column, **kw), compiler.process(element.ids, **kw)
    return f"{column} IN (SELECT value FROM json_each({ids}))"

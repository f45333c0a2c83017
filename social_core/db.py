"""Engine, sessions and the column types shared by every table (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, Integer, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC on every backend, returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    pass


READ_ONLY = "pixelrank_read_only"  # execution option set by `read_only`


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # we issue BEGIN ourselves (see below)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # Read pages straight from the OS page cache instead of copying them into each connection's
    # 2 MB page cache: the feed's lookups of a few hundred posts touch pages all over the file.
    cursor.execute("PRAGMA mmap_size=1073741824")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # A writer takes the write lock up front: a deferred transaction that reads then writes can fail
    # with "database is locked" instead of waiting its turn. A reader (`read_only`) begins deferred:
    # in WAL mode it takes no lock, so readers neither queue behind writers nor behind each other.
    read_only = conn.get_execution_options().get(READ_ONLY, False)
    conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def read_only(engine: Engine) -> Engine:
    """The same database and pool, for code that only reads (GET requests, the feed's pipelines).

    On SQLite every other transaction holds the one write lock from its first statement to its end,
    so requests that merely read would otherwise run one at a time across all processes. Never write
    through it: a deferred transaction cannot always upgrade to a writer.
    """
    return engine.execution_options(**{READ_ONLY: True})


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def insert_ignore(session: Session, table: Any, values: dict[str, Any]) -> bool:
    """INSERT unless the row's unique key exists; True when a row was written.

    Idempotent writes (like twice, follow twice) stay race-free under concurrency this way,
    without catching IntegrityError around a savepoint.
    """
    statement = _insert(session)(table).values(**values).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports -1 for a skipped ON CONFLICT row.
    first_key = next(iter(table.primary_key.columns))
    return session.execute(statement.returning(first_key)).first() is not None


def upsert(session: Session, table: Any, values: dict[str, Any]) -> None:
    """INSERT, or UPDATE the row with the same primary key to `values`: race-free where a get-then-add
    would fail on PostgreSQL when two requests create the same row at once."""
    keys = [column.name for column in table.primary_key.columns]
    statement = _insert(session)(table).values(**values)
    changes = {name: value for name, value in values.items() if name not in keys}
    session.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes))


def _insert(session: Session) -> Any:
    """The dialect's INSERT construct, which has ON CONFLICT (SQLite and PostgreSQL alike)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert

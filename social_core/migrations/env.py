"""Alembic environment: runs against the connection handed in by social_core.migrate."""

from __future__ import annotations

from alembic import context

import social_core.models  # noqa: F401  (registers every table)
from social_core.db import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

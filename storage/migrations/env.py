"""Alembic environment: runs on the connection that storage.db.Database.upgrade() hands over.

There is no alembic.ini and no URL here on purpose: the application's Database object owns the
engine (with its SQLite pragmas or PostgreSQL search_path), so migrations always hit the same
database, and schema, as the code that uses it.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (registers every table on SQLModel.metadata)
from storage.migrations.filters import include_name

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "run migrations through storage.db.Database.upgrade() (or `anbot db upgrade`)"
    )

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    compare_type=True,
    include_name=include_name,
    render_as_batch=connection.dialect.name == "sqlite",  # ALTER TABLE via copy on SQLite
)
with context.begin_transaction():
    context.run_migrations()

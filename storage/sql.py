"""SQL helpers every storage module shares: a model's table, the backend's INSERT, running a
Core statement in a session's transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa

if TYPE_CHECKING:  # the async machinery and the dialects are imported by who uses them
    from sqlmodel import Session, SQLModel
    from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = ["dialect_insert", "load_models", "run", "table_of"]

M = TypeVar("M", bound="SQLModel")


def table_of(model: type[SQLModel]) -> sa.Table:
    """The table of a `table=True` model (SQLModel sets `__table__`, which its types omit)."""
    table = sa.inspect(model).local_table
    if not isinstance(table, sa.Table):
        raise TypeError(f"{model.__name__} is not mapped to a table")
    return table


def dialect_insert(backend: AsyncSession | str, table: sa.Table) -> Any:
    """An INSERT that supports `.on_conflict_do_update/nothing` (and `.excluded`) on the
    backend of a session, or of a dialect name ("sqlite", "postgresql")."""
    name = backend if isinstance(backend, str) else backend.get_bind().dialect.name
    # Imported here: the PostgreSQL dialect is 0.1 s of a process start that may never use it
    # (an SQLite search imports this module for table_of).
    if name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if name == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database dialect {name!r}")


async def load_models(
    session: AsyncSession, model: type[M], statement: Any, *, populate_existing: bool = False
) -> list[M]:
    """The rows of a Core statement over the model's table, loaded as `model` instances
    (`populate_existing`: rows the session already holds are read afresh)."""
    query: Any = sa.select(model).from_statement(statement)  # exec() types only selects
    if populate_existing:
        query = query.execution_options(populate_existing=True)
    result = await session.exec(query)
    return list(result.scalars())


def load_models_on(
    session: Session, model: type[M], statement: Any, *, populate_existing: bool = False
) -> list[M]:
    """load_models on a synchronous Session (inside a Database.run_sync unit)."""
    query: Any = sa.select(model).from_statement(statement)
    if populate_existing:
        query = query.execution_options(populate_existing=True)
    return list(session.exec(query).scalars())


async def run(session: AsyncSession, statement: Any, params: Any = None) -> sa.CursorResult[Any]:
    """Execute a Core statement in the session's transaction (typed, no ORM row wrapping)."""
    conn = await session.connection()
    return await conn.execute(statement, params)

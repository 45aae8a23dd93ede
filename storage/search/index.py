"""Upkeep of the search index that the database layer runs: connection set-up and bulk loads.

storage.db calls these without knowing what the index holds: every new SQLite connection gets
the SQL functions the summary_fts triggers call, and a bulk load of summaries is bracketed so
that the index is built efficiently and compacted afterwards.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from storage.search.filters import FOLD
from storage.search.keys import PAIRS_FUNCTION, SQL_FUNCTION, key_text, pair_text
from storage.search.text import fold

if TYPE_CHECKING:  # the async engine machinery is loaded only by who uses it
    from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["bulk_load_begin", "bulk_load_end", "compact", "prepare_sqlite"]

_POSTGRES_INDEXES = ("ix_summary_search_keys", "ix_comment_search_keys")  # migrations 0006, 0010


def prepare_sqlite(dbapi_connection: Any) -> None:
    """Register the SQL functions the summary_fts and comment_fts triggers call (migrations
    0004, 0013): every connection that writes summaries or comments needs them; and the
    folding the filters compare with."""
    dbapi_connection.create_function(SQL_FUNCTION, 6, key_text, deterministic=True)
    dbapi_connection.create_function(PAIRS_FUNCTION, 1, pair_text, deterministic=True)
    dbapi_connection.create_function(FOLD, 1, _fold, deterministic=True)


def _fold(value: object) -> str | None:
    if value is None:
        return None
    return fold(value if isinstance(value, str) else str(value))


async def bulk_load_begin(conn: AsyncConnection) -> None:
    """Before a load of many summaries or comments. On PostgreSQL the GIN indexes (fastupdate
    off, so that no search reads a pending list) collect the new entries in their pending lists
    meanwhile and merge them in one sorted pass at the end, instead of one tree insertion per
    word of every row. On SQLite: nothing."""
    if conn.dialect.name == "postgresql":
        for index in _POSTGRES_INDEXES:
            await conn.execute(sa.text(f"ALTER INDEX {index} SET (fastupdate = on)"))


async def bulk_load_end(conn: AsyncConnection) -> None:
    """After the load: merge what was collected, then stop collecting (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        for index in _POSTGRES_INDEXES:
            await conn.execute(sa.text(f"SELECT gin_clean_pending_list({index!r})"))
            await conn.execute(sa.text(f"ALTER INDEX {index} SET (fastupdate = off)"))


async def compact(conn: AsyncConnection) -> None:
    """On SQLite, merge each FTS5 index (summaries, comments) into one segment (PostgreSQL:
    nothing).

    FTS5 writes each transaction's rows as a new segment and merges them only now and then;
    a word then has one doclist per segment, which a search reads one after another.
    """
    if conn.dialect.name == "sqlite":
        for index in ("summary_fts", "comment_fts"):
            await conn.execute(sa.text(f"INSERT INTO {index}({index}) VALUES ('optimize')"))

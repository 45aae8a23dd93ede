"""The bulk writes of a comment batch on SQLite: fixed SQL text run by sqlite3's executemany.

Why: for a batch of a few hundred rows, `Connection.execute(statement, rows)` spends most of its
time (measured: about 35 µs a row, two thirds of a mirror batch) building each row's parameters
through the general machinery — defaults, extracted parameters, one dict per row. A batch's bulk
statements never change, so on SQLite they are written out here as SQL text, and each row goes
to the driver as a tuple in parameter order (positional: sqlite3 reads a tuple faster than a
dict), converting only what SQLAlchemy's types would: times are stored as UTC text and lists as
JSON text, exactly as the Core statements store them (tests/storage/comments/test_executemany.py
compares the bytes).
PostgreSQL runs the Core statements (storage.comments.store).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from storage.tables import COMMENT

__all__ = ["ADD_REVISION", "DROP_VOTES", "UPSERT_COMMENT", "UPSERT_THREAD", "VOTE", "FixedSql"]


_NAMED = re.compile(r":(\w+)")


@dataclass(frozen=True, slots=True)
class FixedSql:
    """SQL text written with :named parameters (a name may repeat), run with positional ones."""

    text: str
    times: tuple[str, ...] = ()  # aware datetimes, stored as SQLAlchemy stores them on SQLite
    json: tuple[str, ...] = ()  # JSON values (lists), stored as text
    sql: str = field(init=False)  # `text` with `?` for each parameter
    names: tuple[str, ...] = field(init=False)  # the parameter at each `?`

    def __post_init__(self) -> None:
        object.__setattr__(self, "sql", _NAMED.sub("?", self.text))
        object.__setattr__(self, "names", tuple(_NAMED.findall(self.text)))


def executemany(conn: sa.Connection, fixed: FixedSql, rows: Sequence[Mapping[str, Any]]) -> None:
    """Run `fixed` once per row, in the connection's transaction (KeyError: a row lacks one of
    its parameters; nothing is run then)."""
    if not rows:
        return
    pick = itemgetter(*fixed.names)
    converters: list[tuple[int, Callable[[Any], Any]]] = [
        (i, _time if name in fixed.times else json.dumps)
        for i, name in enumerate(fixed.names)
        if name in fixed.times or name in fixed.json
    ]
    params: list[Any]
    if not converters:
        params = [pick(row) for row in rows]
    else:
        params = []
        for row in rows:
            values = list(pick(row))
            for i, convert in converters:
                values[i] = convert(values[i])
            params.append(tuple(values))
    conn.exec_driver_sql(fixed.sql, params)


def _time(value: datetime | None) -> str | None:
    """As models.UTCDateTime then SQLite's DATETIME store it: UTC, microseconds, no zone."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to a UTCDateTime column")
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


_COMMENT_COLUMNS = [column.name for column in COMMENT.c]

# Creates missing thread rows (name and tracked as the model's defaults) and moves each
# catch-up position forward, never back.
UPSERT_THREAD = FixedSql(
    "INSERT INTO discord_thread (id, name, tracked, last_message_id, created_at)"
    " VALUES (:id, '', :tracked, :last_message_id, :created_at)"
    " ON CONFLICT (id) DO UPDATE SET last_message_id = excluded.last_message_id"
    " WHERE excluded.last_message_id IS NOT NULL AND (discord_thread.last_message_id IS NULL"
    " OR discord_thread.last_message_id < excluded.last_message_id)",
    times=("created_at",),
)
# A whole comment row; a tombstone is never written over.
UPSERT_COMMENT = FixedSql(
    f"INSERT INTO comment ({', '.join(_COMMENT_COLUMNS)})"
    f" VALUES ({', '.join(':' + name for name in _COMMENT_COLUMNS)})"
    " ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{name} = excluded.{name}" for name in _COMMENT_COLUMNS if name != "id")
    + " WHERE comment.deleted IS 0",
    times=("created_at", "edited_at", "deleted_at"),
    json=("attachments",),
)
ADD_REVISION = FixedSql(
    "INSERT INTO comment_revision (comment_id, content, replaced_at)"
    " VALUES (:comment_id, :content, :replaced_at)"
    " ON CONFLICT (comment_id, replaced_at) DO NOTHING",
    times=("replaced_at",),
)
# One shape for every removal: a vote (c, u, e), one emoji (u NULL) or all (both NULL).
DROP_VOTES = FixedSql(
    "DELETE FROM vote WHERE comment_id = :c AND (:u IS NULL OR user_id = :u)"
    " AND (:e IS NULL OR emoji = :e)"
)
# Guarded by EXISTS: only votes on live messages, even if another connection deleted one.
VOTE = FixedSql(
    "INSERT INTO vote (comment_id, user_id, emoji) SELECT :c, :u, :e"
    " WHERE EXISTS (SELECT 1 FROM comment WHERE id = :c AND deleted IS 0)"
    " ON CONFLICT DO NOTHING"
)

"""storage.comments.executemany: the fast SQLite path writes what Connection.execute writes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import sqlite

import storage.comments.executemany as fast
from storage.db import Database
from storage.models import Comment, DiscordThread
from storage.sql import table_of

COMMENTS = table_of(Comment)
THREADS = table_of(DiscordThread)
UPSERT = sqlite.insert(COMMENTS).on_conflict_do_update(
    index_elements=[COMMENTS.c.id],
    set_={"content": sqlite.insert(COMMENTS).excluded.content},
)
PLUS_TWO = timezone(timedelta(hours=2))


def _rows() -> list[dict[str, Any]]:
    base = datetime(2024, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
    return [
        {
            "id": 10 + i,
            "thread_id": 1,
            "parent_id": None if i % 2 else 10,
            "reference_id": None,
            "author_id": 7 if i != 2 else None,
            "author_name": "Ann <b>" if i != 2 else None,
            "content": f"text {i} ✓" if i != 2 else None,
            "attachments": [] if i % 2 else [f"https://x/{i}.png"],
            "is_starter": i == 0,
            "deleted": i == 2,
            # an aware time in another zone is stored as UTC, like the ORM path does
            "created_at": (base + timedelta(seconds=i)).astimezone(PLUS_TWO),
            "edited_at": None if i % 2 else base + timedelta(minutes=i),
            "deleted_at": base if i == 2 else None,
        }
        for i in range(5)
    ]


async def _write(path: Path, how: str, rows: list[dict[str, Any]]) -> dict[str, list[Any]]:
    db = Database(f"sqlite+aiosqlite:///{path}")
    await db.upgrade()

    def work(conn: sa.Connection) -> None:
        conn.execute(sa.insert(THREADS), {"id": 1, "name": "t", "created_at": datetime.now(UTC)})
        if how == "fast":
            fast.executemany(conn, UPSERT, rows)
            fast.executemany(conn, UPSERT, [{**r, "content": "again"} for r in rows[:2]])
        else:
            conn.execute(UPSERT, rows)
            conn.execute(UPSERT, [{**r, "content": "again"} for r in rows[:2]])

    try:
        await db.run_sync(work, write=True)
    finally:
        await db.dispose()
    with sqlite3.connect(path) as raw:  # the stored text itself, not what SQLAlchemy reads back
        return {
            "comment": raw.execute("SELECT * FROM comment ORDER BY id").fetchall(),
        }


async def test_fast_path_stores_the_same_bytes(tmp_path: Path) -> None:
    fast_rows = await _write(tmp_path / "fast.db", "fast", _rows())
    plain_rows = await _write(tmp_path / "plain.db", "plain", _rows())
    assert fast_rows == plain_rows
    assert len(fast_rows["comment"]) == 5
    assert fast_rows["comment"][0][6] == "again"  # the upsert's update ran


async def test_fast_path_is_used_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = sa.Connection.exec_driver_sql

    def spy(self: sa.Connection, sql: str, *args: Any, **kw: Any) -> Any:
        calls.append(sql)
        return original(self, sql, *args, **kw)

    monkeypatch.setattr(sa.Connection, "exec_driver_sql", spy)
    await _write(tmp_path / "fast.db", "fast", _rows())
    assert sum(sql.startswith("INSERT INTO comment") for sql in calls) == 2


async def test_column_defaults_and_ragged_rows_take_the_ordinary_path(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    await db.upgrade()
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    # No row gives `tracked`, so its column default must come from SQLAlchemy; the second row
    # also lacks `name`, which Connection.execute reports (not a KeyError, not a silent NULL).
    rows = [
        {"id": 1, "name": "one", "created_at": stamp},
        {"id": 2, "created_at": stamp},
    ]

    def work(conn: sa.Connection) -> list[Any]:
        fast.executemany(conn, sa.insert(THREADS), rows)
        return list(conn.execute(sa.select(THREADS.c.id, THREADS.c.name).order_by(THREADS.c.id)))

    try:
        with pytest.raises(sa.exc.StatementError):
            await db.run_sync(work, write=True)
        rows[1]["name"] = "two"
        stored = await db.run_sync(work, write=True)
        tracked = await db.run_sync(
            lambda conn: list(conn.execute(sa.select(THREADS.c.tracked)).scalars())
        )
    finally:
        await db.dispose()
    assert [tuple(r) for r in stored] == [(1, "one"), (2, "two")]
    assert tracked == [True, True]


async def test_other_backends_use_connection_execute(db: Database) -> None:
    stamp = datetime(2024, 1, 1, tzinfo=UTC)
    rows = [{"id": i, "name": f"t{i}", "created_at": stamp} for i in (1, 2, 3)]

    def work(conn: sa.Connection) -> list[Any]:
        fast.executemany(conn, sa.insert(THREADS), rows)
        return list(conn.execute(sa.select(THREADS.c.name).order_by(THREADS.c.id)).scalars())

    assert await db.run_sync(work, write=True) == ["t1", "t2", "t3"]

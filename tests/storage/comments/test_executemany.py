"""storage.comments.executemany: the fast SQLite path writes what Connection.execute writes."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

import storage.comments.executemany as fast
from storage.comments.store import _Statements, _statements_for
from storage.db import Database
from storage.models import Comment, DiscordThread
from storage.sql import table_of

COMMENTS = table_of(Comment)
THREADS = table_of(DiscordThread)
CORE = _Statements("sqlite", fixed_sql=False)  # the same writes as Core statements
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
        stamp = datetime(2024, 3, 1, tzinfo=UTC)  # the same in both files
        conn.execute(sa.insert(THREADS), {"id": 1, "name": "t", "created_at": stamp})
        again = [{**r, "content": "again"} for r in rows[:2]]
        threads = [{"id": 2, "tracked": True, "created_at": rows[0]["created_at"]}]
        threads[0]["last_message_id"] = 11
        revisions = [{"comment_id": 10, "content": "old ✓", "replaced_at": rows[1]["created_at"]}]
        votes = [
            {"c": 10, "u": 5, "e": "👍"},
            {"c": 12, "u": 5, "e": "👍"},
            {"c": 11, "u": 6, "e": "x"},
        ]
        if how == "fast":
            fast.executemany(conn, fast.UPSERT_COMMENT, rows)
            fast.executemany(conn, fast.UPSERT_COMMENT, again)
            fast.executemany(conn, fast.UPSERT_THREAD, threads)
            fast.executemany(conn, fast.ADD_REVISION, revisions)
            fast.executemany(conn, fast.VOTE, votes)
            fast.executemany(conn, fast.DROP_VOTES, [{"c": 11, "u": None, "e": None}])
        else:
            conn.execute(CORE.upsert_comment, rows)
            conn.execute(CORE.upsert_comment, again)
            conn.execute(CORE.upsert_thread, threads)
            conn.execute(CORE.add_revision, revisions)
            conn.execute(CORE.vote, votes)
            conn.execute(CORE.drop_votes, [{"c": 11, "u": None, "e": None}])

    try:
        await db.run_sync(work, write=True)
    finally:
        await db.dispose()
    with sqlite3.connect(path) as raw:  # the stored text itself, not what SQLAlchemy reads back
        return {
            table: raw.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("comment", "discord_thread", "comment_revision", "vote")
        }


async def test_fast_path_stores_the_same_bytes(tmp_path: Path) -> None:
    fast_rows = await _write(tmp_path / "fast.db", "fast", _rows())
    plain_rows = await _write(tmp_path / "plain.db", "plain", _rows())
    assert fast_rows == plain_rows
    assert len(fast_rows["comment"]) == 5
    assert fast_rows["comment"][0][6] == "again"  # the upsert's update ran
    assert len(fast_rows["discord_thread"]) == 2 and len(fast_rows["comment_revision"]) == 1
    assert len(fast_rows["vote"]) == 1  # a vote on the tombstone (12) is refused, 11's dropped


async def test_fast_path_is_used_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = sa.Connection.exec_driver_sql

    def spy(self: sa.Connection, sql: str, *args: Any, **kw: Any) -> Any:
        calls.append(sql)
        return original(self, sql, *args, **kw)

    monkeypatch.setattr(sa.Connection, "exec_driver_sql", spy)
    await _write(tmp_path / "fast.db", "fast", _rows())
    assert sum(sql.startswith("INSERT INTO comment (") for sql in calls) == 2


async def test_a_row_missing_a_value_fails_and_writes_nothing(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    await db.upgrade()
    rows = _rows()
    del rows[1]["content"]

    def work(conn: sa.Connection) -> None:
        conn.execute(sa.insert(THREADS), {"id": 1, "name": "t", "created_at": datetime.now(UTC)})
        fast.executemany(conn, fast.UPSERT_COMMENT, rows)

    try:
        with pytest.raises(KeyError):
            await db.run_sync(work, write=True)
        count = await db.run_sync(
            lambda conn: conn.execute(sa.select(sa.func.count()).select_from(COMMENTS)).scalar()
        )
    finally:
        await db.dispose()
    assert count == 0


def test_fixed_sql_on_sqlite_only() -> None:
    sqlite_steps, postgres_steps = _statements_for("sqlite"), _statements_for("postgresql")
    for name in ("upsert_thread", "upsert_comment", "add_revision", "drop_votes", "vote"):
        assert isinstance(getattr(sqlite_steps, name), fast.FixedSql)
        assert not isinstance(getattr(postgres_steps, name), fast.FixedSql)

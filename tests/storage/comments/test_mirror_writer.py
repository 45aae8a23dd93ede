"""storage.comments.writer.CommentWriter on real databases: batching, flush, drain, poison."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage.comments import records_for_thread
from storage.comments.events import MessageUpsert, ReactionAdd
from storage.comments.writer import CommentWriter
from storage.db import Database

T0 = datetime(2024, 5, 1, tzinfo=UTC)


def upsert(mid: int, thread: int = 1, created: datetime = T0) -> MessageUpsert:
    return MessageUpsert(
        message_id=mid,
        thread_id=thread,
        author_id=7,
        author_name="seven",
        content=f"message {mid}",
        created_at=created,
    )


async def count(db: Database, thread: int = 1) -> int:
    async with db.session() as s:
        return len(await records_for_thread(s, thread))


async def test_batches_by_size_and_flush_is_read_your_writes(db: Database) -> None:
    writer = CommentWriter(db, flush_ms=60_000, batch=500)
    writer.start()
    for mid in range(1, 1201):
        writer.submit(upsert(mid))
    await writer.flush()
    assert await count(db) == 1200
    # 500 + 500 by size, the last 200 because flush() asked: three transactions, not 1200.
    assert (writer.stats.transactions, writer.stats.events) == (3, 1200)
    await writer.close()


async def test_flushes_by_time_without_being_asked(db: Database) -> None:
    writer = CommentWriter(db, flush_ms=5, batch=1000)
    writer.start()
    for mid in (1, 2, 3):
        writer.submit(upsert(mid))
    async with asyncio.timeout(10):
        while writer.stats.events < 3:  # noqa: ASYNC110 - observing, not driving, the writer
            await asyncio.sleep(0.01)
    assert await count(db) == 3
    await writer.close()


async def test_close_drains_and_refuses_more(db: Database) -> None:
    writer = CommentWriter(db, flush_ms=60_000, batch=10_000)
    writer.start()
    for mid in range(1, 51):
        writer.submit(upsert(mid))
    await writer.close()
    assert await count(db) == 50
    with pytest.raises(RuntimeError, match="closed"):
        writer.submit(upsert(99))
    await writer.close()  # idempotent


async def test_one_bad_event_is_dropped_alone(db: Database) -> None:
    writer = CommentWriter(db, flush_ms=60_000, batch=100)
    writer.start()
    writer.submit(upsert(1))
    writer.submit(upsert(2, created=datetime(2024, 5, 1)))  # naive timestamp: refused by storage
    writer.submit(upsert(3))
    writer.submit(ReactionAdd(message_id=3, user_id=9, emoji="👍"))
    await writer.flush()
    await writer.close()
    async with db.session() as s:
        records = {r.id: r for r in await records_for_thread(s, 1)}
    assert sorted(records) == [1, 3] and records[3].score == 1
    assert writer.stats.dropped == 1


def test_rejects_nonsense_settings(sqlite_url: str) -> None:
    with pytest.raises(ValueError):
        CommentWriter(Database(sqlite_url), flush_ms=10, batch=0)


async def test_keeps_one_connection_through_a_backlog_and_returns_it_when_idle(
    db: Database,
) -> None:
    writer = CommentWriter(db, flush_ms=60_000, batch=100)
    writer.start()
    for mid in range(1, 451):
        writer.submit(upsert(mid))
    await writer.flush()
    assert (writer.stats.transactions, writer.stats.events) == (5, 450)
    assert db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    writer.submit(upsert(451))
    await writer.flush()
    await writer.close()
    assert await count(db) == 451 and db.engine.pool.checkedout() == 0  # type: ignore[attr-defined]


async def test_waits_out_a_lock_held_past_busy_timeout_and_drops_nothing(
    sqlite_db: Database, tmp_path: Path
) -> None:
    """Another connection holds SQLite's write lock for longer than busy_timeout (5 s): the
    events wait (in the journal) and are all written once the lock is released (issue 12)."""
    holder = sqlite3.connect(sqlite_db.url.database or "", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    journal = tmp_path / "journal"
    writer = CommentWriter(sqlite_db, flush_ms=5, batch=100, journal=journal, memory_limit=50)
    writer.start()
    try:
        for mid in range(1, 301):
            writer.submit(upsert(mid))
        async with asyncio.timeout(60):
            while writer.stats.journaled < 300:  # noqa: ASYNC110 - observing the writer
                await asyncio.sleep(0.05)
        assert journal.stat().st_size > 0 and writer.pending() == 0  # spilled, not in memory
    finally:
        holder.execute("COMMIT")
        holder.close()
    await writer.flush()
    await writer.close()
    assert writer.stats.dropped == 0 and await count(sqlite_db) == 300
    assert journal.stat().st_size == 0

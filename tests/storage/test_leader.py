"""storage.leader: the PostgreSQL advisory lock that picks the one polling process."""

from __future__ import annotations

import asyncio
import random

import pytest
import sqlalchemy as sa

from storage.db import Database
from storage.leader import LeaderLock


async def test_sqlite_process_is_always_leader(sqlite_db: Database) -> None:
    a, b = LeaderLock(sqlite_db, key=1), LeaderLock(sqlite_db, key=1)
    assert await a.acquire() and await b.acquire()
    assert a.is_leader and b.is_leader


@pytest.mark.postgres
async def test_one_holder_at_a_time_and_takeover_after_release(pg_db: Database) -> None:
    key = random.randrange(1, 2**62)
    a, b = LeaderLock(pg_db, key=key), LeaderLock(pg_db, key=key)
    try:
        assert await a.acquire()
        assert not await b.acquire()
        assert a.is_leader and not b.is_leader
        assert await a.acquire()  # re-checking a held lock keeps it
        await a.release()
        assert not a.is_leader
        assert await b.acquire()
        assert not await a.acquire()
    finally:
        await a.release()
        await b.release()


@pytest.mark.postgres
async def test_dead_connection_loses_the_lock_to_another(pg_db: Database) -> None:
    key = random.randrange(1, 2**62)
    a, b = LeaderLock(pg_db, key=key), LeaderLock(pg_db, key=key)
    try:
        assert await a.acquire()
        async with pg_db.connect(autocommit=True) as conn:
            pids = await conn.execute(
                sa.text(
                    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = :hi AND objid = :lo AND objsubid = 1"
                ),
                {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF},
            )
            (pid,) = pids.scalars().all()
            await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            # pg_terminate_backend only signals: the lock goes when the backend has exited.
            for _ in range(200):
                gone = await conn.execute(
                    sa.text("SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = :pid)"),
                    {"pid": pid},
                )
                if gone.scalar_one():
                    break
                await asyncio.sleep(0.05)
        assert await b.acquire()
        # a notices its session is gone, drops it, and cannot take the lock back.
        assert not await a.acquire()
        assert not a.is_leader
    finally:
        await a.release()
        await b.release()


@pytest.mark.postgres
async def test_concurrent_first_attempts_in_one_process_both_lead(pg_db: Database) -> None:
    """The poller and the publisher ask at once: the process must not lock itself out."""
    lock = LeaderLock(pg_db, key=random.randrange(1, 2**62))
    try:
        results = await asyncio.gather(*(lock.acquire() for _ in range(5)))
        assert results == [True] * 5
        assert lock.is_leader
    finally:
        await lock.release()

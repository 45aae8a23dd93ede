"""Which process polls feeds and publishes: the one holding the leader lock.

On PostgreSQL the lock is a session-level advisory lock held on a dedicated connection: when the
leader process dies its connection closes, PostgreSQL frees the lock, and the next `acquire()`
of another process (each poll) takes over. On SQLite the database is one file on one machine,
so every process is the leader (run one bot per SQLite file).
"""

from __future__ import annotations

import asyncio
import logging

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from storage.db import Database

log = logging.getLogger(__name__)


class LeaderLock:
    """`await acquire()` → True while this process is the leader; cheap to call every poll."""

    def __init__(self, db: Database, *, key: int) -> None:
        self._db = db
        self._key = key
        self._conn: AsyncConnection | None = None
        # The feed poller and the publisher both ask; two concurrent first attempts would open
        # two sessions and the second would find the lock taken — by this very process.
        self._acquiring = asyncio.Lock()

    @property
    def is_leader(self) -> bool:
        return self._db.dialect != "postgresql" or self._conn is not None

    async def acquire(self) -> bool:
        """Take the lock if free, or check that the held lock's connection is still alive."""
        if self._db.dialect != "postgresql":
            return True
        async with self._acquiring:
            return await self._acquire()

    async def _acquire(self) -> bool:
        if self._conn is not None:
            try:
                await self._conn.execute(sa.text("SELECT 1"))
                await self._conn.commit()
                return True
            except (sa.exc.DBAPIError, OSError) as exc:
                # The connection died, and with it the lock: another process may hold it now.
                log.warning("leader connection lost (%s); no longer the leader", exc)
                await self._drop()
        conn = await self._db.engine.connect()
        try:
            got = bool(
                await conn.scalar(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": self._key})
            )
            # End the implicit transaction; the session-level lock outlives it.
            await conn.commit()
        except BaseException:
            await conn.close()
            raise
        if not got:
            await conn.close()
            return False
        self._conn = conn
        log.info("this process is now the leader (advisory lock %s)", self._key)
        return True

    async def release(self) -> None:
        if self._conn is None:
            return
        try:
            await self._conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": self._key})
            await self._conn.commit()
        except (sa.exc.DBAPIError, OSError) as exc:
            log.warning("could not unlock the leader lock cleanly: %s", exc)
        await self._drop()

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.close()
            except (sa.exc.DBAPIError, OSError) as exc:
                log.debug("closing a broken leader connection: %s", exc)

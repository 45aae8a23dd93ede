"""The one batching writer between gateway events and the database.

Gateway handlers call `submit(event)` (no await, no I/O). A single task collects events until
`batch` of them are waiting or `flush_ms` passed since the first one, then writes them in order
in ONE transaction (storage.comments.write_events: idempotent upserts), so a burst of messages
costs a few transactions instead of one each. `await flush()` returns once everything submitted
before it is committed (read-your-writes for commands and tests); `close()` drains the queue.

A batch that fails is retried once, then written event by event so that one bad event is logged
and dropped instead of blocking (or losing) the others.

On an SQLite file a batch runs as one unit in a worker thread on plain sqlite3
(Database.run_sync): aiosqlite would hop threads for every cursor call, which cost more than the
writes themselves. On PostgreSQL, while a backlog lasts, the writer keeps one connection for batch
after batch (a checkout pings the database and a return rolls back: round trips that would cost
as much as a small batch); it gives the connection back once the queue is empty, and drops it
after any failure so that a retry starts on a fresh one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.comments import write_events
from storage.comments.events import CommentEvent
from storage.db import Database

__all__ = [
    "CommentWriter",
    "WriterStats",
]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WriterStats:
    events: int = 0  # events committed
    transactions: int = 0  # successful commits
    dropped: int = 0  # events that failed even alone (logged)


@dataclass(slots=True)
class _Marker:
    """Queued after events: resolved once everything before it is committed."""

    done: asyncio.Future[None]
    stop: bool = False


class CommentWriter:
    def __init__(self, db: Database, *, flush_ms: int = 50, batch: int = 500) -> None:
        if flush_ms < 0 or batch < 1:
            raise ValueError("flush_ms must be ≥ 0 and batch ≥ 1")
        self.db = db
        self.flush_s = flush_ms / 1000
        self.batch = batch
        self.stats = WriterStats()
        self._queue: asyncio.Queue[CommentEvent | _Marker] = asyncio.Queue()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._closed = False
        self._conn: AsyncConnection | None = None  # held only while events keep coming

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        if self._closed:
            raise RuntimeError("writer is closed")
        if not self.running:
            self._task = asyncio.create_task(self._run(), name="comment-writer")

    def submit(self, event: CommentEvent) -> None:
        if self._closed:
            raise RuntimeError("writer is closed; event not accepted")
        self._queue.put_nowait(event)
        if self._queue.qsize() >= self.batch:
            self._wake.set()

    def pending(self) -> int:
        return self._queue.qsize()

    async def flush(self) -> None:
        """Wait until every event submitted so far is committed."""
        if not self.running:
            raise RuntimeError("writer is not running; call start() first")
        marker = _Marker(asyncio.get_running_loop().create_future())
        self._queue.put_nowait(marker)
        self._wake.set()
        await marker.done

    async def close(self) -> None:
        """Write everything still queued, then stop. Idempotent."""
        if self._closed:
            return
        self._closed = True
        if not self.running:
            return
        marker = _Marker(asyncio.get_running_loop().create_future(), stop=True)
        self._queue.put_nowait(marker)
        self._wake.set()
        await marker.done
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        try:
            await self._loop()
        finally:
            await self._release()

    async def _loop(self) -> None:
        while True:
            first = await self._queue.get()
            events: list[CommentEvent] = []
            markers: list[_Marker] = []
            item: CommentEvent | _Marker | None = first
            deadline = asyncio.get_running_loop().time() + self.flush_s
            while True:
                if isinstance(item, _Marker):
                    markers.append(item)
                    break  # a flush/close asks for a write now
                if item is not None:
                    events.append(item)
                if len(events) >= self.batch:
                    break
                try:
                    item = self._queue.get_nowait()
                    continue
                except asyncio.QueueEmpty:
                    item = None
                remaining = deadline - asyncio.get_running_loop().time()
                if remaining <= 0:
                    break
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), remaining)
            if events:
                await self._write(events)
            if self._queue.empty():
                await self._release()  # idle: the pool gets its connection back
            stop = False
            for marker in markers:
                if not marker.done.done():
                    marker.done.set_result(None)
                stop = stop or marker.stop
            if stop:
                return

    async def _write(self, events: Sequence[CommentEvent]) -> None:
        for attempt in (1, 2):
            try:
                await self._commit(events)
                return
            except Exception:
                log.warning("writing %d events failed (attempt %d)", len(events), attempt)
        # Isolate the culprit: every other event still lands.
        for event in events:
            try:
                await self._commit([event])
            except Exception:
                self.stats.dropped += 1
                log.exception("dropping comment event that cannot be written: %r", event)

    async def _commit(self, events: Sequence[CommentEvent]) -> None:
        if self.db.runs_in_thread:
            await self.db.run_sync(write_events, events, write=True)
        else:
            await self._commit_on_held_connection(events)
        self.stats.events += len(events)
        self.stats.transactions += 1

    async def _commit_on_held_connection(self, events: Sequence[CommentEvent]) -> None:
        if self._conn is None:
            self._conn = await self.db.engine.connect()
        try:
            async with self._conn.begin():
                await self._conn.run_sync(write_events, events)
        except BaseException:
            await self._release()  # it may be broken (a dropped server): retry on a fresh one
            raise

    async def _release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            await conn.close()
        except Exception:
            log.warning("closing the writer's connection failed", exc_info=True)

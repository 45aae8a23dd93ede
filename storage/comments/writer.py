"""The one batching writer between gateway events and the database.

Gateway handlers call `submit(event)` (no await, no I/O). A single task collects events until
`batch` of them are waiting or `flush_ms` passed since the first one, then writes them in order
in ONE transaction (storage.comments.write_events: idempotent upserts), so a burst of messages
costs a few transactions instead of one each. `await flush()` returns once everything submitted
before it is committed (read-your-writes for commands and tests); `close()` drains the queue.

Nothing is dropped for a transient failure (storage.db.is_transient: another process holding
SQLite's write lock longer than busy_timeout, a lost PostgreSQL connection): the batch goes to
the journal (storage.comments.journal: a local file, appended and fsync'd) and the writer waits,
retrying with a growing pause, then writes the journal in order once the database accepts
writes. A batch that is slow to commit (waiting on a lock, which on PostgreSQL raises nothing
however long it lasts) goes to the journal after JOURNAL_AFTER while it waits, and the events
queued behind it with it; events are spilled to the journal whenever `memory_limit` of them are
queued, so memory stays bounded however long the wait. An event leaves the journal only once its
batch is committed: a journal left by a process that died (SIGKILL mid-wait) is written on
start. A batch that fails for a reason in the data itself is written event by
event, so that only the one bad event is logged and dropped, never the others.

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
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncConnection

from storage.comments import write_events
from storage.comments.events import CommentEvent
from storage.comments.journal import Journal
from storage.db import Database, is_transient

Outcome = Literal["ok", "transient", "permanent"]
RETRY_PAUSE_MAX = 1.0  # seconds between two tries while the database refuses writes
# A batch not committed after this long is waiting (on a lock): it and the events queued behind
# it go to the journal, so that a process killed meanwhile loses none of them.
JOURNAL_AFTER = 0.5

__all__ = [
    "CommentWriter",
    "WriterStats",
]

log = logging.getLogger(__name__)


@dataclass(slots=True)
class WriterStats:
    events: int = 0  # events committed
    transactions: int = 0  # successful commits
    dropped: int = 0  # events that failed even alone for a non-transient reason (logged)
    journaled: int = 0  # events that waited in the journal for the database


@dataclass(slots=True)
class _Marker:
    """Queued after events: resolved once everything before it is committed."""

    done: asyncio.Future[None]
    stop: bool = False


def journal_path(configured: str | None, db: Database, shard: int | None = None) -> Path | None:
    """The writer's journal file: as configured; else beside an SQLite file (one per database,
    so two bots on two files never replay each other's events); else in the working directory,
    one per shard. None for an in-memory SQLite database (nothing would outlive the process)."""
    if configured:
        return Path(configured)
    if db.dialect == "sqlite":
        name = db.url.database
        return None if name in (None, "", ":memory:") else Path(f"{name}.comments-journal")
    return Path("anbot-comments" + (f".shard{shard}" if shard is not None else "") + ".journal")


class CommentWriter:
    def __init__(
        self,
        db: Database,
        *,
        flush_ms: int = 50,
        batch: int = 500,
        journal: Path | None = None,
        memory_limit: int = 5_000,
    ) -> None:
        if flush_ms < 0 or batch < 1 or memory_limit < 1:
            raise ValueError("flush_ms must be ≥ 0, batch and memory_limit ≥ 1")
        self.db = db
        self.journal = Journal(journal)
        self.memory_limit = memory_limit
        self._held: list[_Marker] = []  # flush/close markers waiting for the journal to drain
        self._stopping = False
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
            await self.journal.recover()
            if not self.journal.empty():
                log.warning("writing the comment events a previous run left in the journal")
                await self._drain()
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
            self._stopping = self._stopping or any(m.stop for m in markers)
            if events:
                await self._write(events)
            if self._queue.empty():
                await self._release()  # idle: the pool gets its connection back
            stop = self._stopping
            for marker in [*self._held, *markers]:
                if not marker.done.done():
                    marker.done.set_result(None)
            self._held.clear()
            if stop:
                if not self.journal.empty():
                    log.warning(
                        "closing with comment events still in the journal %s: the database "
                        "refused writes; they are written on the next start",
                        self.journal.path,
                    )
                return

    async def _write(self, events: Sequence[CommentEvent]) -> None:
        if not self.journal.empty():  # older events wait there: these go after them
            await self._to_journal(events)
            await self._drain()
            return
        outcome, journaled = await self._try_waiting(events, in_journal=False)
        if journaled is not None:  # the batch waited, from the journal: it goes on from there
            if outcome == "ok":
                self.journal.advance(journaled)
            await self._drain()
            return
        if outcome == "permanent":
            events = await self._isolate(events)
        if events and outcome != "ok":
            await self._to_journal(events)
            await self._drain()

    async def _try(self, events: Sequence[CommentEvent]) -> Outcome:
        try:
            await self._commit(events)
        except Exception as exc:
            transient = is_transient(exc)
            log.warning(
                "writing %d comment events failed (%s): %s",
                len(events),
                "will wait and retry" if transient else "checking them one by one",
                " ".join(str(exc).split())[:300],
            )
            return "transient" if transient else "permanent"
        return "ok"

    async def _isolate(self, events: Sequence[CommentEvent]) -> list[CommentEvent]:
        """Write the events one by one: drop (and log) those the database refuses for a reason
        of their own; return the rest from the first transient failure on (they must wait)."""
        for index, event in enumerate(events):
            outcome = await self._try([event])
            if outcome == "transient":
                return list(events[index:])
            if outcome == "permanent":
                self.stats.dropped += 1
                log.error("dropping comment event that cannot be written: %r", event)
        return []

    async def _to_journal(self, events: Sequence[CommentEvent]) -> None:
        await self.journal.append(events)
        self.stats.journaled += len(events)

    async def _spill(self) -> None:
        """Move what waits in the queue to the journal: memory stays bounded while the database
        refuses writes. Flush/close markers are held until the journal is drained."""
        events: list[CommentEvent] = []
        while True:
            try:
                item = self._queue.get_nowait()
            except asyncio.QueueEmpty:
                break
            if isinstance(item, _Marker):
                self._held.append(item)
                self._stopping = self._stopping or item.stop
            else:
                events.append(item)
        await self._to_journal(events)

    async def _try_waiting(
        self, events: Sequence[CommentEvent], *, in_journal: bool
    ) -> tuple[Outcome, int | None]:
        """_try, and while it waits (a lock: a try on a locked SQLite file lasts busy_timeout,
        one on a PostgreSQL table another transaction locked lasts as long as that lock) make
        sure that a SIGKILL loses nothing: after JOURNAL_AFTER seconds, or as soon as
        `memory_limit` events are queued, the batch (unless `in_journal`, read from there) and
        then everything queued behind it go to the journal, every 0.2 s while the wait lasts.

        Returns the outcome and, when the batch went to the journal here, the journal position
        after it (the caller advances past it once it is committed)."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        journaled: int | None = None
        attempt = asyncio.ensure_future(self._try(events))
        while not attempt.done():
            await asyncio.wait({attempt}, timeout=0.2)
            if attempt.done():
                break
            slow = loop.time() - began >= JOURNAL_AFTER
            if not slow and self._queue.qsize() < self.memory_limit:
                continue
            if not in_journal and journaled is None:
                await self._to_journal(events)  # first: the queued events come after it
                journaled = self.journal.end()
            if not self._queue.empty():
                await self._spill()
        return attempt.result(), journaled

    async def _drain(self) -> None:
        """Write the journal to the database in order, waiting as long as the database refuses
        writes for a transient reason (unless closing: then the journal keeps them)."""
        pause = 0.05
        while not self.journal.empty():
            chunk = await self.journal.read(self.batch)
            if not chunk:
                break
            events = [event for event, _ in chunk]
            outcome, _ = await self._try_waiting(events, in_journal=True)
            if outcome == "ok":
                self.journal.advance(chunk[-1][1])
                pause = 0.05
                continue
            if outcome == "permanent":
                rest = await self._isolate(events)
                done = len(chunk) - len(rest)
                if done:
                    self.journal.advance(chunk[done - 1][1])
                if not rest:
                    continue
            await self._spill()
            if self._stopping:
                return
            await asyncio.sleep(pause)
            pause = min(pause * 2, RETRY_PAUSE_MAX)
        await self.journal.clear()

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

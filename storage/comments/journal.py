"""The mirror writer's journal: comment events waiting for the database, in a local file.

While the database refuses writes for a transient reason (another process holds SQLite's write
lock longer than busy_timeout, PostgreSQL is restarting), the writer appends the events here
instead of holding them all in memory or dropping them: one JSON line per event, appended and
fsync'd, so they survive the process being killed. They are written to the database in order as
soon as it accepts writes again (and on the next start, if the process died first); the file is
truncated once all of it is stored. Writing an event twice is harmless (storage.comments writes
idempotent upserts), so a crash between a commit and the truncation loses nothing.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from storage.comments import events as comment_events
from storage.comments.events import CommentEvent

_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (
        comment_events.MessageUpsert,
        comment_events.MessageEdit,
        comment_events.MessageDelete,
        comment_events.BulkDelete,
        comment_events.ReactionAdd,
        comment_events.ReactionRemove,
        comment_events.ReactionClear,
    )
}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, tuple):
        return {"$tuple": [_plain(v) for v in value]}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        if "$dt" in value:
            return datetime.fromisoformat(value["$dt"])
        if "$tuple" in value:
            return tuple(_typed(v) for v in value["$tuple"])
    return value


def encode(event: CommentEvent) -> bytes:
    fields = {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}
    line = json.dumps({"type": type(event).__name__, "fields": fields}, ensure_ascii=False)
    return line.encode("utf-8") + b"\n"


def decode(line: bytes) -> CommentEvent:
    record = json.loads(line)
    cls = _TYPES[record["type"]]
    event: CommentEvent = cls(**{k: _typed(v) for k, v in record["fields"].items()})
    return event


class Journal:
    """Events not yet in the database, oldest first. `path` None: kept in memory only (tests,
    in-memory databases); the waiting is the same, only a crash loses them."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._memory: list[CommentEvent] = []
        self._offset = 0  # bytes (or list items) already stored in the database
        self._size = 0  # bytes in the file: known here (no stat per batch); recover() reads it

    async def append(self, events: Sequence[CommentEvent]) -> None:
        if not events:
            return
        if self.path is None:
            self._memory.extend(events)
            return
        data = b"".join(encode(e) for e in events)
        await asyncio.to_thread(self._append_sync, self.path, data)
        self._size += len(data)

    @staticmethod
    def _append_sync(path: Path, data: bytes) -> None:
        with path.open("ab") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    def end(self) -> int:
        """The position after the last event appended (what `advance` takes)."""
        return len(self._memory) if self.path is None else self._size

    def empty(self) -> bool:
        if self.path is None:
            return self._offset >= len(self._memory)
        return self._size <= self._offset

    async def read(self, limit: int) -> list[tuple[CommentEvent, int]]:
        """Up to `limit` waiting events, each with the position after it (for `advance`)."""
        if self.path is None:
            end = min(self._offset + limit, len(self._memory))
            return [(self._memory[i], i + 1) for i in range(self._offset, end)]
        return await asyncio.to_thread(self._read_sync, self.path, self._offset, limit)

    @staticmethod
    def _read_sync(path: Path, offset: int, limit: int) -> list[tuple[CommentEvent, int]]:
        out: list[tuple[CommentEvent, int]] = []
        with path.open("rb") as handle:
            handle.seek(offset)
            position = offset
            while len(out) < limit:
                line = handle.readline()
                if not line.endswith(b"\n"):
                    break  # end of file, or a line torn by a crash mid-append (never fsync'd)
                position += len(line)
                out.append((decode(line), position))
        return out

    async def recover(self) -> None:
        """On start: cut a line torn by a crash mid-append, so later appends stay whole lines."""
        if self.path is not None:
            self._size = await asyncio.to_thread(self._recover_sync, self.path)

    @staticmethod
    def _recover_sync(path: Path) -> int:
        if not path.exists():
            return 0
        data = path.read_bytes()
        keep = data.rfind(b"\n") + 1
        if keep != len(data):
            with path.open("r+b") as handle:
                handle.truncate(keep)
                os.fsync(handle.fileno())
        return keep

    def advance(self, position: int) -> None:
        """Everything before `position` is stored in the database."""
        self._offset = position

    async def clear(self) -> None:
        """All of it is stored: start the file (or list) afresh."""
        self._offset = self._size = 0
        if self.path is None:
            self._memory.clear()
            return
        await asyncio.to_thread(self._truncate_sync, self.path)

    @staticmethod
    def _truncate_sync(path: Path) -> None:
        if not path.exists():
            return
        with path.open("r+b") as handle:
            handle.truncate(0)
            handle.flush()
            os.fsync(handle.fileno())

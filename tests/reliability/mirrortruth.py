"""The sandbox's truth about a thread, in the shape the mirror stores it, for comparisons."""

from __future__ import annotations

from sandbox.server import SandboxServer
from threads.model import CommentRecord

# id -> (deleted, content (None once deleted), parent id (None: top level))
Shape = dict[int, tuple[bool, str | None, int | None]]

REPLY = 19  # Discord's message type for a reply


def truth(server: SandboxServer, thread_id: int) -> Shape:
    """Every message of the thread, deleted ones as tombstones. (A message created and deleted
    while the bot was away leaves no trace it could find: tests delete only what it saw.)"""
    out: Shape = {}
    for msg in server.world.messages_in(thread_id, include_deleted=True):
        mid = int(msg["id"])
        ref = msg.get("message_reference") or {}
        parent = None
        if msg["type"] == REPLY and ref.get("type", 0) == 0 and ref.get("message_id"):
            pid = int(ref["message_id"])
            parent = pid if pid != thread_id else None
        deleted = server.world.messages[mid].deleted
        out[mid] = (deleted, None if deleted else msg["content"], parent)
    return out


def shape(records: list[CommentRecord] | dict[int, CommentRecord]) -> Shape:
    values = records.values() if isinstance(records, dict) else records
    return {r.id: (r.deleted, r.content, r.parent_id) for r in values}

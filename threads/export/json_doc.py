"""JSON export: one document, comments nested under ``replies`` (schema: schema.json).

The document is produced piece by piece while the nesting is tracked with a stack, and yielded
in chunks of about CHUNK_CHARS, so memory stays flat however big the thread. Very deep threads
give very deep JSON; readers with a nesting limit (Python's json module stops near 1,000
levels) should use the JSONL export, which carries the same fields flat.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from threads.export._common import CHUNK_CHARS, tally
from threads.export.records import comment_json_open, dumps, line_safe
from threads.model import CommentNode, ThreadInfo
from threads.order import Order
from threads.timeutil import iso
from threads.tree import walk_with_parent

SCHEMA_ID = "https://anbot.invalid/schemas/thread-export-v1.json"
FORMAT_NAME = "anbot.thread"
FORMAT_VERSION = 1


def thread_fields(info: ThreadInfo) -> dict[str, Any]:
    def sid(value: int | None) -> str | None:
        return None if value is None else str(value)

    return {
        "id": str(info.id),
        "title": info.title,
        "url": info.url,
        "guild_id": sid(info.guild_id),
        "channel_id": sid(info.channel_id),
    }


def render_json(
    info: ThreadInfo,
    roots: list[CommentNode],
    *,
    order: Order = "old",
    since: datetime | None = None,
) -> Iterator[str]:
    walker = walk_with_parent(roots, order)  # validates `order` now, not at the first chunk
    return _render(info, roots, walker, order, since)


def _render(
    info: ThreadInfo,
    roots: list[CommentNode],
    walker: Iterator[tuple[CommentNode, CommentNode | None]],
    order: Order,
    since: datetime | None,
) -> Iterator[str]:
    total, new = tally(roots)
    head = {
        "$schema": SCHEMA_ID,
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "thread": thread_fields(info),
        "order": order,
        "since": iso(since),
        "comment_count": total,
        "new_count": new,
    }
    yield dumps(head)[:-1] + ', "comments": ['
    parts: list[str] = []
    size = 0
    open_depths: list[int] = []  # depths of comments whose "replies" list is still open
    previous = -1  # depth of the comment emitted just before; -1 before the first
    for node, parent in walker:
        depth = node.depth
        while open_depths and open_depths[-1] >= depth:
            open_depths.pop()
            parts.append("]}")
        # In pre-order the comment before is either this one's parent (a first child: no
        # comma) or something at this depth or deeper (this one follows a sibling).
        if previous >= depth:
            parts.append(", ")
        previous = depth
        body = comment_json_open(node, parent)
        if node.replies:
            body += ', "replies": ['
            open_depths.append(depth)
        else:
            body += ', "replies": []}'
        parts.append(body)
        size += len(body)
        if size >= CHUNK_CHARS:
            yield line_safe("".join(parts))
            parts.clear()
            size = 0
    parts.append("]}" * len(open_depths) + "]}\n")
    yield line_safe("".join(parts))

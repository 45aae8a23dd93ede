"""JSONL export: one comment per line in walk order, each carrying parent id and depth.

Every line is a complete JSON object (schema.json, ``$defs/flat_comment``): readers can stream
it, and there is no nesting limit however deep the thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from threads.export._common import CHUNK_CHARS
from threads.export.records import comment_json_open, line_safe
from threads.model import CommentNode, ThreadInfo
from threads.order import Order
from threads.tree import walk_with_parent


def render_jsonl(
    info: ThreadInfo,
    roots: list[CommentNode],
    *,
    order: Order = "old",
    since: datetime | None = None,  # accepted for a uniform signature; lines carry is_new
) -> Iterator[str]:
    walker = walk_with_parent(roots, order)  # validates `order` now, not at the first chunk
    return _render(f'"thread_id": "{info.id}", ', walker)


def _render(prefix: str, walker: Iterator[tuple[CommentNode, CommentNode | None]]) -> Iterator[str]:
    lines: list[str] = []
    size = 0
    for node, parent in walker:
        line = comment_json_open(node, parent, prefix) + "}\n"
        lines.append(line)
        size += len(line)
        if size >= CHUNK_CHARS:
            yield line_safe("".join(lines))
            lines.clear()
            size = 0
    if lines:
        yield line_safe("".join(lines))

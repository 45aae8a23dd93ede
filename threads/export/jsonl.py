"""JSONL export: one comment per line in walk order, each carrying parent id and depth.

Every line is a complete JSON object (schema.json, ``$defs/flat_comment``): readers can stream
it, and there is no nesting limit however deep the thread.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

from threads.export._common import chunked
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
    lines = (comment_json_open(node, parent, prefix) + "}\n" for node, parent in walker)
    return map(line_safe, chunked(lines))  # line_safe per chunk: cheaper than per line

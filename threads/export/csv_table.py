"""CSV export: a header row, then one row per comment in walk order (RFC 4180, CRLF rows).

Columns: id, parent_id, depth, author, created_at, edited_at, deleted, score, content,
attachments (one URL per line inside the cell). Text cells that a spreadsheet would run as a
formula (starting with = + - @ tab or CR) get a leading apostrophe, the usual CSV-injection
guard; machine readers wanting the exact text should use the JSON or JSONL export.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime

from threads.export._common import shown
from threads.model import CommentNode, ThreadInfo
from threads.order import Order
from threads.timeutil import iso
from threads.tree import walk_with_parent

COLUMNS = (
    "id",
    "parent_id",
    "depth",
    "author",
    "created_at",
    "edited_at",
    "deleted",
    "score",
    "content",
    "attachments",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def guard_formula(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text


class _LastLine:
    """A file-like target for csv.writer that keeps the row just written (one write per row)."""

    line = ""

    def write(self, text: str) -> int:
        self.line = text
        return len(text)


def render_csv(
    info: ThreadInfo,
    roots: list[CommentNode],
    *,
    order: Order = "old",
    since: datetime | None = None,  # accepted for a uniform signature
) -> Iterator[str]:
    walker = walk_with_parent(roots, order)
    return _render(walker)


def _render(walker: Iterator[tuple[CommentNode, CommentNode | None]]) -> Iterator[str]:
    sink = _LastLine()
    writer = csv.writer(sink)
    writer.writerow(COLUMNS)
    yield sink.line
    for node, parent in walker:
        record = node.record
        view = shown(record)
        writer.writerow(
            (
                record.id,
                "" if parent is None else parent.record.id,
                node.depth,
                guard_formula(view.author or ""),
                iso(record.created_at),
                iso(record.edited_at) or "",
                "true" if record.deleted else "false",
                record.score,
                guard_formula(view.content or ""),
                guard_formula("\n".join(view.attachments)),
            )
        )
        yield sink.line

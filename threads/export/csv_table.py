"""CSV export: a header row, then one row per comment in walk order (RFC 4180, CRLF rows).

Columns: id, parent_id, depth, author, created_at, edited_at, deleted, score, content,
attachments (one URL per line inside the cell). Text cells that a spreadsheet would run as a
formula (starting with = + - @ tab or CR) get a leading apostrophe, the usual CSV-injection
guard; machine readers wanting the exact text should use the JSON or JSONL export.

Rows are written exactly as ``csv.writer`` (default dialect, QUOTE_MINIMAL) writes them, but
by hand: the csv module's per-character loop alone cost more than json.dumps of the same rows,
while RFC 4180 minimal quoting is four substring tests and one replace, all in C. Only the text
cells can need quotes; ids, numbers, times and booleans never hold a comma, quote or newline.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache

from threads.export._common import chunked, iso_z
from threads.model import CommentNode, ThreadInfo
from threads.order import Order
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
_HEADER = ",".join(COLUMNS) + "\r\n"


def text_cell(text: str) -> str:
    """A text cell: formula-guarded, then quoted as csv.writer's QUOTE_MINIMAL would."""
    if text.startswith(_FORMULA_START):
        text = "'" + text
    if '"' in text:
        return '"' + text.replace('"', '""') + '"'
    if "," in text or "\n" in text or "\r" in text:
        return '"' + text + '"'
    return text


_author_cell = lru_cache(maxsize=4096)(text_cell)  # author names repeat throughout a thread


def render_csv(
    info: ThreadInfo,
    roots: list[CommentNode],
    *,
    order: Order = "old",
    since: datetime | None = None,  # accepted for a uniform signature
) -> Iterator[str]:
    walker = walk_with_parent(roots, order)  # validates `order` now, not at the first chunk
    return _render(walker)


def _render(walker: Iterator[tuple[CommentNode, CommentNode | None]]) -> Iterator[str]:
    return chunked(_rows(walker))


def _rows(walker: Iterator[tuple[CommentNode, CommentNode | None]]) -> Iterator[str]:
    yield _HEADER
    cell = text_cell
    author_cell = _author_cell
    for node, parent in walker:
        record = node.record
        if record.deleted:
            author = content = attachments = ""
            deleted = "true"
        else:
            author = author_cell(record.author_name) if record.author_name else ""
            content = cell(record.content) if record.content else ""
            attachments = cell("\n".join(record.attachments)) if record.attachments else ""
            deleted = "false"
        edited = record.edited_at
        yield (
            f"{record.id},{'' if parent is None else parent.record.id},{node.depth},{author},"
            f"{iso_z(record.created_at)},{'' if edited is None else iso_z(edited)},{deleted},"
            f"{record.score},{content},{attachments}\r\n"
        )

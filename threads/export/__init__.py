"""Thread exports: one renderer per format behind one dispatcher.

Every renderer yields ``str`` chunks (about one per comment), so callers can stream a large
thread to a file or an upload without holding the whole output::

    with open(path, "w", encoding="utf-8", newline="") as out:
        out.writelines(export("html", info, records, order="top", since=last_visit))

(``newline=""`` keeps the CSV export's CRLF row ends as written.)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, Protocol, get_args

from threads.export._common import clean_starter
from threads.export.csv_table import render_csv
from threads.export.json_doc import render_json
from threads.export.jsonl import render_jsonl
from threads.export.markdown import render_markdown
from threads.model import CommentNode, CommentRecord, ThreadInfo
from threads.order import Order, check_order, mark_new
from threads.timeutil import as_utc
from threads.tree import build_tree, prune_deleted

Format = Literal["markdown", "json", "jsonl", "html", "csv"]
FORMATS: tuple[Format, ...] = get_args(Format)


def render_html(
    info: ThreadInfo,
    roots: list[CommentNode],
    *,
    order: Order = "old",
    since: datetime | None = None,
) -> Iterator[str]:
    """threads.export.html_page.render_html, imported when an HTML export is asked for: it
    loads markdown-it-py and nh3 (a quarter of the start of an `anbot export` to Markdown)."""
    from threads.export import html_page

    return html_page.render_html(info, roots, order=order, since=since)


class Renderer(Protocol):
    def __call__(
        self,
        info: ThreadInfo,
        roots: list[CommentNode],
        *,
        order: Order = "old",
        since: datetime | None = None,
    ) -> Iterator[str]: ...


@dataclass(frozen=True, slots=True)
class ExportFormat:
    name: Format
    extension: str  # without the dot
    render: Renderer


FORMAT_INFO: dict[Format, ExportFormat] = {
    "markdown": ExportFormat("markdown", "md", render_markdown),
    "json": ExportFormat("json", "json", render_json),
    "jsonl": ExportFormat("jsonl", "jsonl", render_jsonl),
    "html": ExportFormat("html", "html", render_html),
    "csv": ExportFormat("csv", "csv", render_csv),
}


class UnknownFormatError(ValueError):
    def __init__(self, fmt: object) -> None:
        super().__init__(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")


def format_info(fmt: str) -> ExportFormat:
    """The format's file extension and renderer; UnknownFormatError if there is none."""
    try:
        return FORMAT_INFO[fmt]  # type: ignore[index]  # str narrowed by the lookup itself
    except KeyError:
        raise UnknownFormatError(fmt) from None


def in_window(moment: datetime, after: datetime | None, before: datetime | None) -> bool:
    """Strictly after `after` and strictly before `before` (naive times are UTC)."""
    at = as_utc(moment)
    return (after is None or at > as_utc(after)) and (before is None or at < as_utc(before))


def export(
    format: Format,
    info: ThreadInfo,
    records: Iterable[CommentRecord],
    *,
    order: Order = "old",
    since: datetime | None = None,
    after: datetime | None = None,
    before: datetime | None = None,
) -> Iterator[str]:
    """Build the tree from flat rows, mark comments new since `since`, render as `format`.

    Only comments written after `after` and before `before` are kept (the starter, the post
    itself, always is; a kept reply whose parent is not hangs at the top level). Deleted
    comments with no live reply below them are left out. The starter shows no old publication
    marker and its database cross references as text.

    Bad arguments (unknown format or order, duplicate comment ids) raise ValueError subclasses
    here, before the first chunk, so a caller can answer with a clear error and write nothing.
    """
    spec = format_info(format)
    check_order(order)
    rows: Iterable[CommentRecord] = map(clean_starter, records)
    if after is not None or before is not None:
        rows = [r for r in rows if r.is_starter or in_window(r.created_at, after, before)]
        info = replace(info, after=after, before=before)
    roots = prune_deleted(build_tree(rows))
    if since is not None:
        mark_new(roots, since)
    return spec.render(info, roots, order=order, since=since)


__all__ = [
    "FORMATS",
    "FORMAT_INFO",
    "ExportFormat",
    "Format",
    "Renderer",
    "UnknownFormatError",
    "export",
    "format_info",
    "in_window",
    "render_csv",
    "render_html",
    "render_json",
    "render_jsonl",
    "render_markdown",
]

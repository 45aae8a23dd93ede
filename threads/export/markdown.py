"""Markdown export: replies as nested block quotes.

Comment text is the author's own (Discord) Markdown and is kept as written, only prefixed with
the quote marks of its level. Author names and attachment labels are escaped so that they
cannot start emphasis, links or HTML.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache

from threads.export._common import (
    DELETED,
    MAX_VISUAL_DEPTH,
    attachment_label,
    chunked,
    header_facts,
    is_web_url,
    iso_z,
    tally,
)
from threads.model import CommentNode, ThreadInfo
from threads.order import Order
from threads.tree import walk_with_parent

_ESCAPES = str.maketrans({ch: "\\" + ch for ch in "\\`*_{}[]()<>#+-.!|~"})
# Quote marks per visual level, on every line (empty ones too, so the quote is not broken).
_PREFIX = tuple("> " * level for level in range(MAX_VISUAL_DEPTH + 1))
_NEWLINE_PREFIX = tuple("\n" + prefix for prefix in _PREFIX)


@lru_cache(maxsize=4096)  # author names repeat throughout a thread
def escape_inline(text: str) -> str:
    """Backslash-escape Markdown punctuation and fold newlines (for names and labels)."""
    return " ".join(text.split()).translate(_ESCAPES)


_DELETED_AUTHOR = f"*{escape_inline(DELETED)}*"


def _link_target(url: str) -> str:
    # <…> destinations allow spaces and parentheses; only < > and newlines must go.
    return "<" + url.strip().replace("<", "%3C").replace(">", "%3E") + ">"


def _attachment_lines(urls: tuple[str, ...]) -> str:
    lines = [""]
    for url in urls:
        if is_web_url(url):
            label = escape_inline(attachment_label(url))
            lines.append(f"- attachment: [{label}]({_link_target(url)})")
        else:
            lines.append(f"- attachment: {escape_inline(url)} (not a web link)")
    return "\n" + "\n".join(lines)


def _comment(node: CommentNode, parent: CommentNode | None) -> str:
    """One comment: a facts line, a blank line, the text (and attachments), a blank line."""
    record = node.record
    deleted = record.deleted
    author = record.author_name
    created = iso_z(record.created_at)
    facts = (
        _DELETED_AUTHOR if deleted or not author else f"**{escape_inline(author)}**"
    ) + f" · {created[:10]} {created[11:16]} UTC · score {record.score}"
    if record.edited_at is not None and not deleted:
        facts += " · (edited)"
    if record.is_starter:
        facts += " · starter"
    if node.is_new:
        facts += " · **🆕 new**"
    elif node.edited_since:
        facts += " · **✎ edited since**"
    facts += f" · id {record.id}"
    depth = node.depth
    if depth > MAX_VISUAL_DEPTH:
        level = MAX_VISUAL_DEPTH
        if parent is not None:
            facts += f" · ↪ reply to id {parent.record.id}"
    else:
        level = depth
    if deleted:
        body = DELETED
    else:
        # splitlines() + join turns every line break Python knows (\r\n, \u2028 …) into "\n".
        body = "\n".join((record.content or "").splitlines())
        if record.attachments:
            body += _attachment_lines(record.attachments)
    text = facts + "\n\n" + body
    if level:
        text = _PREFIX[level] + text.replace("\n", _NEWLINE_PREFIX[level])
    return text + "\n\n"


def render_markdown(
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
    head = [f"# {escape_inline(info.title)}", ""]
    if info.url and is_web_url(info.url):
        head += [f"Thread: {_link_target(info.url)}", ""]
    head += [
        " · ".join(header_facts(total, order, since, new, (info.after, info.before))),
        "",
        "---",
        "",
        "",
    ]
    yield "\n".join(head)
    yield from chunked(_comment(node, parent) for node, parent in walker)

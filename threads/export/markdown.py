"""Markdown export: replies as nested block quotes, one chunk per comment.

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
    header_facts,
    is_web_url,
    shown,
    tally,
    visual_depth,
)
from threads.model import CommentNode, ThreadInfo
from threads.order import Order
from threads.timeutil import human
from threads.tree import walk_with_parent

_ESCAPES = str.maketrans({ch: "\\" + ch for ch in "\\`*_{}[]()<>#+-.!|~"})


@lru_cache(maxsize=4096)  # author names repeat throughout a thread
def escape_inline(text: str) -> str:
    """Backslash-escape Markdown punctuation and fold newlines (for names and labels)."""
    return " ".join(text.split()).translate(_ESCAPES)


def _link_target(url: str) -> str:
    # <…> destinations allow spaces and parentheses; only < > and newlines must go.
    return "<" + url.strip().replace("<", "%3C").replace(">", "%3E") + ">"


def _quote(lines: list[str], level: int) -> str:
    text = "\n".join(lines) + "\n"
    if not level:
        return text
    prefix = "> " * level  # on every line, empty ones too, so the quote is not broken
    return (prefix + text.replace("\n", "\n" + prefix))[: -len(prefix)]


def _comment(node: CommentNode, parent: CommentNode | None) -> str:
    record = node.record
    view = shown(record)
    facts = [
        f"**{escape_inline(view.author)}**" if view.author else f"*{escape_inline(DELETED)}*",
        human(record.created_at),
        f"score {record.score}",
    ]
    if record.edited_at is not None and not record.deleted:
        facts.append("(edited)")
    if record.is_starter:
        facts.append("starter")
    if node.is_new:
        facts.append("**🆕 new**")
    elif node.edited_since:
        facts.append("**✎ edited since**")
    facts.append(f"id {record.id}")
    if parent is not None and node.depth > MAX_VISUAL_DEPTH:
        facts.append(f"↪ reply to id {parent.record.id}")
    lines = [" · ".join(facts), ""]
    lines.extend((view.content if view.content is not None else DELETED).splitlines() or [""])
    if view.attachments:
        lines.append("")
        for url in view.attachments:
            if is_web_url(url):
                label = escape_inline(attachment_label(url))
                lines.append(f"- attachment: [{label}]({_link_target(url)})")
            else:
                lines.append(f"- attachment: {escape_inline(url)} (not a web link)")
    return _quote(lines, visual_depth(node)) + "\n"


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
    head += [" · ".join(header_facts(total, order, since, new)), "", "---", "", ""]
    yield "\n".join(head)
    for node, parent in walker:
        yield _comment(node, parent)

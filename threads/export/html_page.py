"""HTML export: one self-contained page (inline CSS, no script, no external resource).

Every user-supplied string (title, author, text, attachment URL, thread URL) goes through
html.escape, attributes included. Only absolute http(s) URLs become links, with
rel="nofollow noopener noreferrer". A Content-Security-Policy meta tag forbids scripts,
external loads and forms as a second line of defence should a future change forget to escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache, lru_cache
from html import escape
from importlib.resources import files

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
from threads.timeutil import iso
from threads.tree import walk_with_parent

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)
# A URL runs to the next space or quote/angle bracket; trailing punctuation is prose.
# Same refused characters as is_web_url, so a match only lacks the host check. Lower-case
# schemes only: a case-blind pattern loses the regex engine's literal-prefix scan and costs a
# third of the HTML export's time; an upper-case "HTTP://" in prose stays plain text.
_URL = re.compile(r"https?://[^\s\x00-\x20\x7f-\x9f\"'<>`\\{}|^]+")
_TRAILING = ".,;:!?)]*_~"


def _trim(url: str) -> str:
    """Drop trailing prose punctuation; keep a ")" that closes a "(" inside the URL."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url


@cache
def stylesheet() -> str:
    return files("threads.export").joinpath("templates/export.css").read_text("utf-8")


def _link(url: str, label: str | None = None) -> str:
    """A link for an http(s) URL; anything else is shown whole, as text, never as a link."""
    if not is_web_url(url):
        return escape(url)
    text = escape(url if label is None else label)
    return f'<a href="{escape(url, quote=True)}" rel="nofollow noopener noreferrer">{text}</a>'


def linkify(text: str) -> str:
    """Escaped `text` with its http(s) URLs made into links."""
    if "://" not in text:
        return escape(text, quote=False)  # a text node: quotes are harmless there
    out: list[str] = []
    cursor = 0
    for match in _URL.finditer(text):
        url = _trim(match.group(0))
        start, end = match.start(), match.start() + len(url)
        out.append(escape(text[cursor:start], quote=False))
        host = url[url.index("://") + 3 :][:1]
        if host and host not in "/?#":
            href = escape(url, quote=True)
            out.append(f'<a href="{href}" rel="nofollow noopener noreferrer">{href}</a>')
        else:
            out.append(escape(url, quote=False))
        cursor = end
    out.append(escape(text[cursor:], quote=False))
    return "".join(out)


@lru_cache(maxsize=4096)  # author names repeat throughout a thread
def _escaped_name(name: str) -> str:
    return escape(name)


def _article(node: CommentNode, parent: CommentNode | None) -> str:
    record = node.record
    view = shown(record)
    classes = ["comment"]
    if record.deleted:
        classes.append("deleted")
    if node.is_new:
        classes.append("new")
    if record.is_starter:
        classes.append("starter")
    created = iso(record.created_at) or ""  # never None: created_at is required
    meta = [
        f'<span class="author">{_escaped_name(view.author or DELETED)}</span>',
        f'<time datetime="{created}">{created[:10]} {created[11:16]} UTC</time>',
        f'<span class="score">score {record.score}</span>',
    ]
    if record.edited_at is not None and not record.deleted:
        meta.append(f'<span class="edited" title="{iso(record.edited_at)}">(edited)</span>')
    if node.is_new:
        meta.append('<span class="flag new">new</span>')
    elif node.edited_since:
        meta.append('<span class="flag">edited since</span>')
    if parent is not None and node.depth > MAX_VISUAL_DEPTH:
        meta.append(f'<a href="#c{parent.record.id}">↪ reply to #{parent.record.id}</a>')
    meta.append(f'<a class="permalink" href="#c{record.id}">#{record.id}</a>')
    content = DELETED if view.content is None else linkify(view.content)
    parts = [
        f'<article class="{" ".join(classes)}" id="c{record.id}">',
        f'<div class="meta">{" · ".join(meta)}</div>',
        f'<div class="content">{content}</div>',
    ]
    if view.attachments:
        items = "".join(f"<li>{_link(url, attachment_label(url))}</li>" for url in view.attachments)
        parts.append(f'<ul class="attachments">{items}</ul>')
    return "".join(parts)


def render_html(
    info: ThreadInfo,
    roots: list[CommentNode],
    *,
    order: Order = "old",
    since: datetime | None = None,
) -> Iterator[str]:
    walker = walk_with_parent(roots, order)
    return _render(info, roots, walker, order, since)


def _render(
    info: ThreadInfo,
    roots: list[CommentNode],
    walker: Iterator[tuple[CommentNode, CommentNode | None]],
    order: Order,
    since: datetime | None,
) -> Iterator[str]:
    total, new = tally(roots)
    title = escape(info.title)
    facts = " · ".join(escape(fact) for fact in header_facts(total, order, since, new))
    thread_link = ""
    if info.url and is_web_url(info.url):
        thread_link = f" · {_link(info.url, 'open thread')}"
    yield (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="referrer" content="no-referrer">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title><style>{stylesheet()}</style></head>\n"
        f"<body><header><h1>{title}</h1><p>{facts}{thread_link}</p></header><main>\n"
    )
    # Stack of open <article>s by visual level, each with whether its replies <div> is open.
    open_articles: list[list[int]] = []  # [level, replies_open]
    for node, parent in walker:
        level = visual_depth(node)
        closing: list[str] = []
        while open_articles and open_articles[-1][0] >= level:
            _level, replies_open = open_articles.pop()
            closing.append("</div></article>" if replies_open else "</article>")
        if open_articles and not open_articles[-1][1]:
            open_articles[-1][1] = 1
            closing.append('<div class="replies">')
        open_articles.append([level, 0])
        yield "".join(closing) + _article(node, parent) + "\n"
    tail = "".join(
        "</div></article>" if replies_open else "</article>"
        for _level, replies_open in reversed(open_articles)
    )
    yield f"{tail}</main></body></html>\n"

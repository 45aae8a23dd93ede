"""HTML export: one self-contained page (inline CSS, no script, no external resource).

Comment text is Discord Markdown, rendered and sanitized by an allow-list
(threads.render.discord_html). Every other user-supplied string (title, author, attachment URL,
thread URL) is HTML-escaped, attributes included. Only absolute http(s) URLs become links, with
rel="nofollow noopener noreferrer". A Content-Security-Policy meta tag forbids scripts,
external loads and forms as a second line of defence should a future change forget to escape.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import cache, lru_cache
from html import escape
from importlib.resources import files

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
from threads.render.discord_html import discord_html
from threads.tree import walk_with_parent

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; "
    "base-uri 'none'; form-action 'none'"
)
_REL = '" rel="nofollow noopener noreferrer">'


@cache
def stylesheet() -> str:
    return files("threads.export").joinpath("templates/export.css").read_text("utf-8")


def _link(url: str, label: str | None = None) -> str:
    """A link for an http(s) URL; anything else is shown whole, as text, never as a link."""
    if not is_web_url(url):
        return escape(url)
    text = escape(url if label is None else label)
    return f'<a href="{escape(url, quote=True)}{_REL}{text}</a>'


@lru_cache(maxsize=4096)  # author names repeat throughout a thread
def _escaped_name(name: str) -> str:
    return escape(name)


# The opening <article> tag's class list, indexed by deleted * 4 + new * 2 + starter.
_CLASSES = tuple(
    " ".join(["comment"] + ["deleted"] * (i >> 2) + ["new"] * (i >> 1 & 1) + ["starter"] * (i & 1))
    for i in range(8)
)
_META_DELETED = f'<div class="meta"><span class="author">{escape(DELETED)}</span> · <time '
_CLOSE_ARTICLE = ("</article>", "</div></article>")  # indexed by "its replies <div> is open"


def _article(node: CommentNode, parent: CommentNode | None, names: dict[int, str]) -> str:
    """One <article> and a newline, without its closing tag (replies nest inside it).

    `names` maps the ids of the authors seen so far to their names, for mentions.
    """
    record = node.record
    deleted = record.deleted
    author = record.author_name
    if author and record.author_id is not None:
        names[record.author_id] = author
    cid = str(record.id)  # used three times
    created = iso_z(record.created_at)
    flags = ""  # the optional facts between score and permalink, in this order
    if record.edited_at is not None and not deleted:
        flags = f' · <span class="edited" title="{iso_z(record.edited_at)}">(edited)</span>'
    if node.is_new:
        flags += ' · <span class="flag new">new</span>'
    elif node.edited_since:
        flags += ' · <span class="flag">edited since</span>'
    if parent is not None and node.depth > MAX_VISUAL_DEPTH:
        # Past the indentation cap a reply names what it answers; ids stay in the href.
        above = parent.record
        whom = (
            _escaped_name(above.author_name)
            if above.author_name and not above.deleted
            else "a deleted comment"
        )
        flags += f' · <a href="#c{above.id}">↪ reply to {whom}</a>'
    if deleted:
        meta = _META_DELETED
        content = DELETED
    else:
        meta = (
            f'<div class="meta"><span class="author">{_escaped_name(author)}</span> · <time '
            if author
            else _META_DELETED
        )
        content = discord_html(record.content, names) if record.content else ""
    classes = _CLASSES[
        (4 if deleted else 0) + (2 if node.is_new else 0) + (1 if record.is_starter else 0)
    ]
    tail = "\n"
    if record.attachments and not deleted:
        items = "".join(
            f"<li>{_link(url, attachment_label(url))}</li>" for url in record.attachments
        )
        tail = f'<ul class="attachments">{items}</ul>\n'
    return (
        f'<article class="{classes}" id="c{cid}">{meta}'
        f'datetime="{created}">{created[:10]} {created[11:16]} UTC</time>'
        f' · <span class="score">score {record.score}</span>{flags}'
        f' · <a class="permalink" href="#c{cid}">link</a></div>'
        f'<div class="content">{content}</div>{tail}'
    )


def render_html(
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
    title = escape(info.title)
    facts = " · ".join(
        escape(fact) for fact in header_facts(total, order, since, new, (info.after, info.before))
    )
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
    yield from chunked(_body(walker))


def _body(walker: Iterator[tuple[CommentNode, CommentNode | None]]) -> Iterator[str]:
    """The comments as nested <article>s, then the closing tags of the page."""
    # Open <article>s, by visual level (strictly increasing, so at most MAX_VISUAL_DEPTH + 1),
    # each with whether its replies <div> is open yet.
    levels: list[int] = []
    replies_open: list[int] = []
    article = _article
    names: dict[int, str] = {}
    for node, parent in walker:
        depth = node.depth
        level = depth if depth < MAX_VISUAL_DEPTH else MAX_VISUAL_DEPTH
        while levels and levels[-1] >= level:
            levels.pop()
            yield _CLOSE_ARTICLE[replies_open.pop()]
        if replies_open and not replies_open[-1]:
            replies_open[-1] = 1
            yield '<div class="replies">'
        levels.append(level)
        replies_open.append(0)
        yield article(node, parent, names)
    yield from (_CLOSE_ARTICLE[is_open] for is_open in reversed(replies_open))
    yield "</main></body></html>\n"

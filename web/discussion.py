"""A thread's comments as the nested HTML of a summary page. Pure: records in, HTML out.

Built as string pieces rather than a Jinja loop: a 10k-comment page is the hot path
(bench/bench_web.py). Every user text is escaped (names, dates) or rendered by
threads.render.discord_html (allow-list sanitized). Nothing of a member's identity is written
but their display name: no ids, no avatars.

Shape, so it works without JavaScript:
- each comment is an <article id="c<id>"> (the permalink target) with its replies inside a
  <details>: open near the top, closed from depth OPEN_DEPTH on. Browsers open the closed
  <details> that hold a fragment's target when following a permalink; web/static/site.js does
  the same for older ones;
- a deleted comment with live replies stays as a tombstone, one without is left out;
- a comment whose author hid their comments from the web reads "hidden by its author";
- an edited comment says so, its earlier texts one click away in a <details>.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from html import escape

from threads.export._common import is_web_url
from threads.model import CommentNode, CommentRecord
from threads.order import Order
from threads.render.discord_html import discord_html
from threads.timeutil import as_utc
from threads.tree import build_tree, walk_with_parent

OPEN_DEPTH = 2
DELETED_TEXT = "This comment was deleted."
HIDDEN_TEXT = "This comment is hidden by its author."


@dataclass(frozen=True, slots=True)
class Discussion:
    html: str
    comments: int  # shown, live comments (hidden ones included, tombstones not)
    newest: datetime | None


def render_discussion(
    records: Iterable[CommentRecord], *, order: Order, hidden_authors: set[int]
) -> Discussion:
    """The discussion of a thread as HTML, siblings in `order`."""
    roots = build_tree(_without_starter(records))
    kept = _kept(roots)
    pieces: list[str] = []
    closing: list[tuple[int, bool]] = []  # (depth, has replies) of the open articles
    comments = 0
    newest: datetime | None = None
    for node, _parent in walk_with_parent(roots, order):
        if id(node) not in kept:
            continue
        while closing and closing[-1][0] >= node.depth:
            _depth, had_replies = closing.pop()
            pieces.append("</div></details></article>" if had_replies else "</article>")
        record = node.record
        if not record.deleted:
            comments += 1
            stamp = record.edited_at or record.created_at
            stamp = as_utc(stamp)
            newest = stamp if newest is None or stamp > newest else newest
        replies = sum(1 for child in node.replies if id(child) in kept)
        author = record.author_id
        pieces.append(_article(record, author is not None and author in hidden_authors))
        if replies:
            state = " open" if node.depth < OPEN_DEPTH else ""
            label = "1 reply" if replies == 1 else f"{replies} replies"
            pieces.append(f'<details class="replies"{state}><summary>{label}</summary><div>')
        closing.append((node.depth, bool(replies)))
    while closing:
        _depth, had_replies = closing.pop()
        pieces.append("</div></details></article>" if had_replies else "</article>")
    return Discussion("".join(pieces), comments, newest)


def _without_starter(records: Iterable[CommentRecord]) -> Iterator[CommentRecord]:
    """The starter message is the summary itself (shown above): replies to it become roots."""
    records = list(records)
    starters = {r.id for r in records if r.is_starter}
    for record in records:
        if record.is_starter:
            continue
        yield replace(record, parent_id=None) if record.parent_id in starters else record


def _kept(roots: list[CommentNode]) -> set[int]:
    """ids (of nodes) to show: live comments and tombstones with a live reply below."""
    order: list[CommentNode] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.replies)
    kept: set[int] = set()
    for node in reversed(order):  # children before parents
        if not node.record.deleted or any(id(child) in kept for child in node.replies):
            kept.add(id(node))
    return kept


@lru_cache(maxsize=100_000)
def _article(record: CommentRecord, hidden: bool) -> str:
    """The comment's own HTML (without its replies), remembered per version of the comment:
    a record is frozen, so any edit, delete or vote makes a new key."""
    cid = record.id
    stamp = _when(record.created_at)
    millis = int(as_utc(record.created_at).timestamp() * 1000)
    link = f'<a class="when" href="#c{cid}"><time datetime="{stamp[0]}">{stamp[1]}</time></a>'
    if record.deleted:
        return (
            f'<article class="c gone" id="c{cid}" data-t="{millis}"><header>{link}</header>'
            f'<p class="note">{DELETED_TEXT}</p>'
        )
    if hidden:
        return (
            f'<article class="c hidden" id="c{cid}" data-t="{millis}"><header>{link}</header>'
            f'<p class="note">{HIDDEN_TEXT}</p>'
        )
    name = escape(record.author_name or "someone")
    extras = ""
    if record.score:
        extras += f' <span class="score" title="reactions">▲ {record.score}</span>'
    history = ""
    if record.edited_at is not None:
        history = _history(record)
    body = _body(record.content or "")
    files = "".join(
        f'<li><a href="{escape(url)}" rel="nofollow noopener noreferrer">attachment</a></li>'
        for url in record.attachments
        if is_web_url(url)
    )
    if files:
        files = f'<ul class="files">{files}</ul>'
    return (
        f'<article class="c" id="c{cid}" data-t="{millis}"><header><b class="who">{name}</b> '
        f'{link}{extras}</header>{history}<div class="body">{body}</div>{files}'
    )


def _history(record: CommentRecord) -> str:
    edited = _when(record.edited_at) if record.edited_at else None
    items = "".join(
        f'<li><time datetime="{_when(rev.edited_at)[0]}">replaced {_when(rev.edited_at)[1]}'
        f"</time>{_body(rev.content)}</li>"
        for rev in record.revisions
    )
    label = f"edited {edited[1]}" if edited else "edited"
    if not items:
        return f'<p class="edited">{label}</p>'
    return (
        f'<details class="edited"><summary>{label} · earlier versions</summary>'
        f"<ol>{items}</ol></details>"
    )


@lru_cache(maxsize=50_000)
def _body(text: str) -> str:
    """Rendered text, remembered: comment texts never change once stored (an edit is new text)."""
    return discord_html(text)


def _when(moment: datetime) -> tuple[str, str]:
    """(ISO 8601 for the datetime attribute, the same minute for people)."""
    text = as_utc(moment).isoformat()  # C-fast, unlike strftime (a fifth of a 10k page)
    return f"{text[:19]}Z", f"{text[:10]} {text[11:16]} UTC"

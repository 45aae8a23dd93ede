"""Pieces every renderer shares: what a comment shows, and how deep it is drawn."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from feeds.crossref import plain_cross_refs
from threads.model import CommentNode, CommentRecord
from threads.timeutil import human, iso

# Markdown and HTML indent replies visually only this far; deeper replies are drawn at this
# level with a "reply to" note. Without the cap a 10k-deep chain would cost quadratic output
# ("> > > …" per line) and no reader can follow 50 levels of indentation anyway.
MAX_VISUAL_DEPTH = 8

DELETED = "[deleted]"

# Renderers join their pieces and yield about this many characters at a time: one chunk per
# comment cost a generator round trip and a file write per comment (a fifth of the export
# time at 100k comments), while 64 Ki characters keep the memory of a streamed export flat.
CHUNK_CHARS = 64 * 1024


def chunked(pieces: Iterable[str]) -> Iterator[str]:
    """`pieces` joined into chunks of about CHUNK_CHARS characters (the last one shorter)."""
    parts: list[str] = []
    size = 0
    for piece in pieces:
        parts.append(piece)
        size += len(piece)
        if size >= CHUNK_CHARS:
            yield "".join(parts)
            parts.clear()
            size = 0
    if parts:
        yield "".join(parts)


def iso_z(moment: datetime) -> str:
    """threads.timeutil.iso for a datetime that is not None, without its cost in the usual case."""
    if moment.tzinfo is UTC:  # isoformat() then ends in "+00:00" exactly
        return moment.isoformat()[:-6] + "Z"
    return iso(moment) or ""  # never "": iso only returns None for None


_NOT_IN_URLS = re.compile(r'[\x00-\x20\x7f-\x9f"<>`\\{}|^]')


def is_web_url(url: str) -> bool:
    """True for well-formed absolute http(s) URLs with a host: the only links exports make.

    Spaces, quotes, angle brackets and control characters are refused rather than repaired: a
    URL carrying them is malformed, and showing it as text is the honest rendering.
    """
    if _NOT_IN_URLS.search(url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced IPv6 bracket
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


@dataclass(frozen=True, slots=True)
class Shown:
    """What the export shows of one comment: tombstones lose author, text and attachments."""

    author_id: int | None
    author: str | None
    content: str | None
    attachments: tuple[str, ...]
    revisions_visible: bool


def shown(record: CommentRecord) -> Shown:
    if record.deleted:
        return Shown(None, None, None, (), False)
    return Shown(
        record.author_id,
        record.author_name,
        record.content if record.content is not None else "",
        record.attachments,
        True,
    )


def attachment_label(url: str) -> str:
    """The file name of an attachment URL, else the URL itself."""
    try:
        path = urlsplit(url).path
    except ValueError:
        return url
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name or url


def header_facts(
    count: int,
    order: str,
    since: datetime | None,
    new: int,
    window: tuple[datetime | None, datetime | None] = (None, None),
) -> list[str]:
    facts = [f"{count} comment{'s' if count != 1 else ''}", f"order: {order}"]
    after, before = window
    if after is not None:
        facts.append(f"written after {human(after)}")
    if before is not None:
        facts.append(f"written before {human(before)}")
    if since is not None:
        facts.append(f"{new} new since {human(since)}")
    return facts


def tally(roots: Iterable[CommentNode]) -> tuple[int, int]:
    """(comments, new comments) in the forest; the starter (the bot's post) is no comment."""
    total = new = 0
    stack = list(roots)
    while stack:
        node = stack.pop()
        total += not node.record.is_starter
        new += node.is_new
        stack.extend(node.replies)
    return total, new


# A line older starters ended with so the bot could recognise its post: never shown.
_MARKER_LINE = re.compile(r"\n?^-# anbot:pub:[\w.:-]+[ \t]*$", re.MULTILINE)


def clean_starter(record: CommentRecord) -> CommentRecord:
    """A starter as readers should see it: without the old publication marker line, and with
    database cross references (`<@text@>(@Title@)`) as their text."""
    if not record.is_starter:
        return record

    def clean(text: str) -> str:
        if "anbot:pub:" in text:
            text = _MARKER_LINE.sub("", text).rstrip()
        return plain_cross_refs(text)

    texts = [record.content or "", *(r.content for r in record.revisions)]
    if not any("anbot:pub:" in t or "<@" in t for t in texts):
        return record
    return replace(
        record,
        content=None if record.content is None else clean(record.content),
        revisions=tuple(replace(r, content=clean(r.content)) for r in record.revisions),
    )

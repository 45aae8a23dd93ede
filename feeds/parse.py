"""Feed bytes → FeedItem list, with feedparser (run in a worker thread: it is CPU-bound)."""

from __future__ import annotations

import asyncio
import hashlib
import html
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time
from typing import Any

import feedparser

from feeds.types import FeedItem

# bozo exceptions that only say the declared encoding or media type was wrong: the entries
# feedparser recovered are sound, so these are warnings even for a feed without entries.
_HARMLESS_BOZO = ("CharacterEncodingOverride", "CharacterEncodingUnknown", "NonXMLContentType")
_SURROGATE_REF = re.compile(
    rb"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}|0*5(?:529[6-9]|5[3-9]\d\d|6\d{3}|7[0-2]\d\d|73[0-3]\d|734[0-3]));"
)
_HTML_START = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)


class FeedParseError(ValueError):
    """The bytes are not a feed (HTML page, empty, garbage, truncated beyond recovery)."""

    permanent = False  # the same URL may serve a proper feed on the next poll

    def __init__(self, message: str, *, version: str = "") -> None:
        super().__init__(message)
        self.version = version  # feedparser's name of the format it saw ("rss20"), if any


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str | None
    items: list[FeedItem]
    warning: str | None  # feedparser's complaint about a feed it still recovered


async def parse_feed(
    body: bytes, *, url: str | None = None, content_type: str | None = None
) -> ParsedFeed:
    """Parse a feed document off the event loop; raise FeedParseError if it is not a feed."""
    return await asyncio.to_thread(parse_feed_sync, body, url=url, content_type=content_type)


def parse_feed_sync(
    body: bytes, *, url: str | None = None, content_type: str | None = None
) -> ParsedFeed:
    """The blocking form of parse_feed, for callers already in a worker thread."""
    where = f" from {url}" if url else ""
    if not body or not body.strip():
        raise FeedParseError(f"not a feed: empty body{where}")
    # Without a served type (a file, a test) assume XML and let the document's own
    # declaration decide the encoding.
    headers = {"content-type": content_type or "application/xml"}
    if url:
        headers["content-location"] = url  # base for relative links in entries
    # A stream, never a str: feedparser would treat a str as a URL or file name to open.
    # feedparser turns "&#xD800;" into a lone surrogate and then fails to encode it (a
    # UnicodeEncodeError out of its parser, for the whole feed): such references become U+FFFD.
    body = _SURROGATE_REF.sub(b"&#xFFFD;", body)
    try:
        result = feedparser.parse(io.BytesIO(body), response_headers=headers)
    except Exception as exc:  # a feedparser bug on hostile input: this feed's failure, one line
        raise FeedParseError(f"not a feed{where}: the parser failed: {_describe(exc)}") from exc
    entries = list(result.get("entries") or [])
    bozo = result.get("bozo_exception") if result.get("bozo") else None
    warning = _describe(bozo) if bozo is not None else None
    version = str(result.get("version") or "")
    if not entries:
        if not version and _HTML_START.match(body[:4096]):
            raise FeedParseError(f"not a feed: got an HTML page{where}")
        if bozo is not None and type(bozo).__name__ not in _HARMLESS_BOZO:
            raise FeedParseError(f"not a feed{where}: {warning}", version=version)
        if not version and not result.get("feed"):
            raise FeedParseError(f"not a feed{where}: no RSS, Atom or RDF document found")
    feed = result.get("feed") or {}
    items = [_item(e) for e in entries]
    return ParsedFeed(
        title=_text(feed.get("title")), link=feed.get("link") or None, items=items, warning=warning
    )


def _describe(exc: object) -> str:
    name = type(exc).__name__
    message = " ".join(str(exc).split()) or name
    return message if name in message else f"{name}: {message}"


def _text(value: Any) -> str:
    return str(value).strip() if value else ""


def entry_id(entry: Any) -> str:
    """Stable id: the guid, else the link, else a sha1 of title and date (and body if no date)."""
    for key in ("id", "link"):
        value = _text(entry.get(key))
        if value:
            return value
    title = _text(entry.get("title"))
    date = _text(entry.get("published") or entry.get("updated") or entry.get("created"))
    basis = f"{title}\n{date}" if (title or date) else _content(entry)
    return "sha1:" + hashlib.sha1(basis.encode("utf-8", "surrogatepass")).hexdigest()


def _content(entry: Any) -> str:
    """The richest HTML body: an HTML content element, any content, then the summary."""
    contents = [c for c in entry.get("content") or [] if c.get("value")]
    chosen = next((c for c in contents if "html" in str(c.get("type", ""))), None)
    chosen = chosen or (contents[0] if contents else None)
    if chosen is None:
        detail = entry.get("summary_detail") or {}
        value, kind = _text(entry.get("summary")), str(detail.get("type", "text/html"))
    else:
        value, kind = str(chosen.get("value")), str(chosen.get("type", "text/html"))
    if value and "html" not in kind:
        paras = (html.escape(p.strip()) for p in re.split(r"\n\s*\n", value) if p.strip())
        return "".join(f"<p>{p}</p>" for p in paras)
    return value


def _date(value: Any) -> datetime | None:
    if not isinstance(value, struct_time | tuple):
        return None
    try:
        year, month, day, hour, minute, second = value[:6]
        return datetime(year, month, day, hour, minute, second, tzinfo=UTC)  # already UTC
    except (TypeError, ValueError, OverflowError):
        return None


def _item(entry: Any) -> FeedItem:
    author = _text(entry.get("author")) or None
    return FeedItem(
        entry_id=entry_id(entry),
        title=_text(entry.get("title")),
        link=_text(entry.get("link")) or None,
        published=_date(entry.get("published_parsed")),
        # dict.get: FeedParserDict maps a missing "updated" to "published", with a warning.
        updated=_date(dict.get(entry, "updated_parsed")),
        content_html=_content(entry),
        author=author,
    )

"""The forms an issue comes in, told apart by content, and the parse entry points for each.

Feed XML (RSS/Atom: each item's HTML body), HTML (a saved issue page), Markdown (the forum
cross-post as the alignment-research corpora carry it) and plain text (the forum's text copy,
or an e-mail's text version: links after their words, "** HEADING", maybe hard-wrapped)
are read into the same blocks; one grammar (grammar.py) and one assembler make the entries.
Anything that does not look like an AN issue falls back to one summary for the whole item.
Nothing here raises on odd input: a fallback is always returned.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterable
from typing import Literal

from feeds.issue.assemble import assemble
from feeds.issue.blocks import Block, html_blocks, markdown_blocks, text_blocks
from feeds.issue.identity import cross_references, issue_number
from feeds.issue_numbers import issue_label
from feeds.markdown import html_to_markdown
from feeds.parse import FeedParseError, parse_feed_sync
from feeds.types import FeedItem, ParsedIssue, ParsedSummary

log = logging.getLogger(__name__)

Form = Literal["feed", "html", "markdown", "text"]
_FEED_START = re.compile(r"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.S)
_HTML_START = re.compile(
    r"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", re.I
)
_HTML_TAGS = re.compile(r"<(?:p|h[1-6]|div|table|td|br|li|a\s+href|strong|b|em|span)\b[^>]*>", re.I)
_MARKDOWN_LINK = re.compile(r"\[[^\]\n]+\]\([^)\s]+\)")
_TEXT_VERSION_LINK = re.compile(
    r"\w\S*[ \t]+(?:\((?:https?://|www\.)[^\s()]+\)|<(?:https?://|www\.)[^\s<>]+>)"
)
_MARKDOWN_SIGNS = (
    re.compile(r"^[^\n]+\n(?:=+|-+)[ \t]*$", re.M),  # setext heading
    re.compile(r"^#{1,6}[ \t]+\S", re.M),  # ATX heading
    re.compile(r"\*\*[^*\n]+\*\*"),  # bold
    _MARKDOWN_LINK,  # link
    re.compile(r"\*\([^()\n]+\)\*"),  # *(Authors)*
)


def detect_form(text: str) -> Form:
    """Which reader fits: decided by the content, not by a file name or media type."""
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if _FEED_START.match(head):
        return "feed"
    if _HTML_START.match(head) or len(_HTML_TAGS.findall(text[:50000])) >= 3:
        return "html"
    sample = text[:50000]
    if sum(1 for p in _MARKDOWN_SIGNS if p.search(sample)) < 2:
        return "text"
    # An e-mail's text version writes its links after their words, "Title (http://…)",
    # where Markdown writes [Title](http://…): with many of those and no Markdown link, a
    # stray "**" or underline does not make it Markdown.
    if _MARKDOWN_LINK.search(sample) is None and len(_TEXT_VERSION_LINK.findall(sample)) >= 3:
        return "text"
    return "markdown"


def parse_issue(item: FeedItem) -> ParsedIssue:
    """Split a feed item's HTML into summaries; AN layout when recognised, else one summary."""
    try:
        html = item.content_html or ""
        issue = assemble(
            list(html_blocks(html)), title=item.title or "", link=item.link, form="html"
        )
        issue.number, issue.label = issue_number(item.title or "", _plain_head(html))
        if _looks_like_an(issue):
            return issue
    except Exception:  # a parser bug must not lose the item: log it and fall back
        log.exception("AN layout parse failed for %r; using the generic layout", item.title)
    return _generic_issue(item)


def parse_issue_text(
    text: str, *, title: str = "", link: str | None = None, form: Form | None = None
) -> ParsedIssue:
    """Split an issue given as text: HTML, Markdown or plain text (detected unless `form`)."""
    form = form or detect_form(text)
    try:
        blocks: Iterable[Block]
        if form in ("html", "feed"):
            form, blocks = "html", html_blocks(text)
        elif form == "markdown":
            blocks = markdown_blocks(text)
        else:
            blocks = text_blocks(text)
        issue = assemble(list(blocks), title=title, link=link, form=form)
        issue.number, issue.label = issue_number(title, text)
        if _looks_like_an(issue):
            return issue
    except Exception:  # same contract as parse_issue: never lose the input
        log.exception("AN layout parse failed for text issue %r; using the generic layout", title)
    return _generic_text_issue(text, title=title, link=link, form=form)


def parse_source(
    body: bytes, *, uri: str, title: str | None = None, number: int | None = None
) -> tuple[str, list[tuple[FeedItem, ParsedIssue]]]:
    """(feed title, [(item, issue)]) for a document in any form: a feed's items, or one issue.

    A feed is recognised by parsing (feedparser names its version), not by its first bytes: a
    comment, a DOCTYPE, a BOM or UTF-16 may come first. Anything else is one issue (a saved
    HTML page, Markdown or plain text). `title`/`number` name an issue whose text does not say
    which one it is (a number found in the text or title is used otherwise). Raises
    feeds.parse.FeedParseError, one line, for an empty file, a feed cut beyond recovery, or
    markup that is neither a feed nor an HTML page (never stored as text).
    """
    text = decode_document(body)
    if not text.strip("\ufeff \t\r\n"):
        raise FeedParseError("empty file, nothing to ingest")
    try:
        feed = parse_feed_sync(body, url=uri, content_type=None)
    except FeedParseError as exc:
        markup = text.lstrip("\ufeff \t\r\n").startswith("<")
        if exc.version or (markup and detect_form(text) != "html"):
            raise
    else:
        return feed.title, [(i, parse_issue(i)) for i in feed.items]
    stem = uri.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    found, _ = issue_number(title or stem, text)
    number = number if number is not None else found
    label = issue_label(number) if number is not None else None
    issue = parse_issue_text(text, title=title or label or stem)
    issue.number, issue.label = number, label
    if issue.layout == "generic" and issue.summaries and not title:
        issue.summaries[0].title = label or issue.summaries[0].title
    item = FeedItem(
        entry_id=uri, title=issue.title, link=None, published=None, updated=None,
        content_html=text,
    )  # fmt: skip
    return title or label or stem, [(item, issue)]


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_document(body: bytes) -> str:
    """The document as text: a BOM decides the encoding, else UTF-8 (undecodable bytes
    replaced); UTF-16 without a BOM is recognised by its zero bytes (`<` is 3C 00 or 00 3C)."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body.decode(encoding, errors="replace")
    if body[:2] in (b"<\x00", b"\x00<"):
        return body.decode("utf-16-le" if body[0] else "utf-16-be", errors="replace")
    return body.decode("utf-8", errors="replace")


def _plain_head(html: str) -> str:
    """The first few thousand characters of an HTML body as text, for the issue number."""
    return re.sub(r"<[^>]*>", "\n", html[:20000])


def _looks_like_an(issue: ParsedIssue) -> bool:
    summaries = issue.summaries
    if not summaries:
        return False
    if issue.number is not None:
        return True
    marked = sum(1 for s in summaries if s.opinions or s.summarizer or s.prerequisites)
    with_authors = sum(1 for s in summaries if s.authors)
    return marked >= 1 or with_authors >= 2


def _generic_issue(item: FeedItem) -> ParsedIssue:
    try:
        body = html_to_markdown(item.content_html or "")
    except Exception:  # html_to_markdown is property-tested; this only guards the contract
        log.exception("could not convert item %r to Markdown; keeping its text", item.title)
        body = item.content_html or ""
    number, label = issue_number(item.title or "")
    summary = ParsedSummary(
        title=item.title or "(untitled)",
        link=item.link,
        authors=item.author,
        summary=body,
        cross_refs=cross_references(body),
    )
    return ParsedIssue(
        title=item.title or "", link=item.link, number=number, label=label,
        summaries=[summary], layout="generic", form="html",
    )  # fmt: skip


def _generic_text_issue(text: str, *, title: str, link: str | None, form: str) -> ParsedIssue:
    number, label = issue_number(title, text)
    body = (text or "").strip()
    if form == "html":
        try:
            body = html_to_markdown(body)
        except Exception:  # keep the text rather than lose it
            log.exception("could not convert %r to Markdown; keeping its text", title)
    summary = ParsedSummary(
        title=title or "(untitled)", link=link, summary=body, cross_refs=cross_references(body)
    )
    return ParsedIssue(
        title=title, link=link, number=number, label=label, summaries=[summary],
        layout="generic", form=form,
    )  # fmt: skip

"""HTML → Discord-flavoured Markdown, and splitting Markdown at Discord's message limit."""

from __future__ import annotations

import bisect
import re

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from markdownify import MarkdownConverter

DISCORD_MESSAGE_LIMIT = 2000

# Tags whose content is never text a reader should see.
_DROP_TAGS = ("script", "style", "noscript", "template", "head", "iframe", "object", "embed")
_BLANK_RUNS = re.compile(r"\n[ \t]*(?:\n[ \t]*)+")
_SOURCE_WS = re.compile(r"\s*\n\s*")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_INLINE_SPACES = re.compile(r"(?<=\S)[ \t]{2,}(?=\S)")


class _DiscordConverter(MarkdownConverter):
    """markdownify with Discord's limits: no tables, no raw images, ATX headings."""

    def convert_img(self, el: Tag, text: str, parent_tags: set[str] | None = None) -> str:
        # Discord does not render inline images; keep the reference as a plain link.
        src = str(el.get("src") or "").strip()
        alt = str(el.get("alt") or "").strip() or "image"
        if not src or src.startswith("data:"):
            return alt if alt != "image" else ""
        return f"[{_escape_link_text(alt)}]({src})"


_CONVERTER = _DiscordConverter(
    heading_style="ATX", bullets="-", strip=["table", "thead", "tbody", "tr"], escape_misc=False
)


def _escape_link_text(text: str) -> str:
    return text.replace("[", "(").replace("]", ")")


def html_to_markdown(html: str) -> str:
    """Convert an HTML fragment to Markdown Discord renders; never raises on odd HTML."""
    if not html or not html.strip():
        return ""
    return element_to_markdown(BeautifulSoup(html, "lxml"))


def element_to_markdown(element: Tag) -> str:
    """html_to_markdown of an element already parsed (changed in place: pass a copy).

    Spares the issue parser a second HTML parse per paragraph.
    """
    for tag in element.find_all(_DROP_TAGS):
        tag.decompose()
    # one walk for comments and source newlines: the issue parser calls this per paragraph
    for node in list(element.descendants):
        if isinstance(node, Comment):
            node.extract()
        elif (
            isinstance(node, NavigableString)
            and "\n" in node
            and node.find_parent(("pre", "code", "textarea")) is None
        ):
            # newlines in HTML source are spaces; Discord would show them as line breaks
            node.replace_with(NavigableString(_SOURCE_WS.sub(" ", str(node))))
    return _tidy(_CONVERTER.convert_soup(element))


def _tidy(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ")
    text = _TRAILING_SPACE.sub("\n", text)
    text = _BLANK_RUNS.sub("\n\n", text)
    text = _INLINE_SPACES.sub(" ", text)
    return text.strip()


# Spans that a split must not cut: code fences, inline code, Markdown links.
_PROTECTED = re.compile(r"```.*?```|`[^`\n]+`|\[[^\[\]\n]*\]\([^()\s]*(?:\s+\"[^\"]*\")?\)", re.S)
# Boundaries in order of preference; each match's start is where the chunk ends.
_BOUNDARIES = (
    re.compile(r"\n[ \t]*\n"),
    re.compile(r"\n"),
    re.compile(r"(?<=[.!?])\s|(?<=[.!?][\"')\]])\s"),
    re.compile(r"\s"),
)


def split_message(text: str, limit: int = DISCORD_MESSAGE_LIMIT) -> list[str]:
    """Split Markdown into chunks of at most `limit` characters.

    Cuts at the last paragraph break that fits, else line break, else sentence end, else
    space; never inside a link, code span or code fence unless that span alone exceeds
    the limit. Whitespace at chunk edges is dropped; all other characters are kept in order.
    """
    if limit < 1:
        raise ValueError(f"limit must be at least 1, got {limit}")
    spans = [(m.start(), m.end()) for m in _PROTECTED.finditer(text)]
    starts = [s for s, _ in spans]
    chunks: list[str] = []
    pos = _skip_space(text, 0)
    while pos < len(text):
        if len(text) - pos <= limit:
            chunks.append(text[pos:].rstrip())
            break
        cut = _choose_cut(text, pos, limit, spans, starts)
        chunk = text[pos:cut].rstrip()
        if chunk:
            chunks.append(chunk)
        pos = _skip_space(text, cut)
    return [c for c in chunks if c]


def _skip_space(text: str, pos: int) -> int:
    while pos < len(text) and text[pos].isspace():
        pos += 1
    return pos


def _inside_span(
    pos: int, spans: list[tuple[int, int]], starts: list[int]
) -> tuple[int, int] | None:
    i = bisect.bisect_right(starts, pos - 1) - 1
    if i >= 0 and spans[i][0] < pos < spans[i][1]:
        return spans[i]
    return None


def _choose_cut(
    text: str, pos: int, limit: int, spans: list[tuple[int, int]], starts: list[int]
) -> int:
    end = pos + limit  # a chunk is text[pos:cut] with cut <= end
    window = text[pos : end + 1]  # +1 so a boundary right after the limit still counts
    for pattern in _BOUNDARIES:
        best = None
        for m in pattern.finditer(window):
            cut = pos + m.start()
            if pos < cut <= end and _inside_span(cut, spans, starts) is None:
                best = cut
        if best is not None:
            return best
    # No boundary fits: cut at the limit, but back off to the start of a span we would cut.
    span = _inside_span(end, spans, starts)
    if span is not None and span[0] > pos:
        return span[0]
    return end

"""Helpers for the issue-parser tests: input paragraphs read independently, coverage, fields."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from feeds.types import ParsedIssue
from tests.feeds.an_render import collapse

# Where the issue ends in the inputs: the mail footer and the forum's comment thread are not
# part of the issue (the reader stops there on purpose).
_END = re.compile(
    r"^\s*(?:Copyright\s*(?:©|\(c\))|Want to change how you receive|New Comment\s*$)", re.I
)
_LABEL = re.compile(r"^(?:(?:\w+ ){0,4}(?:s )?opinion|my opinion|prerequisi\w*|read more) ")


# A link target as a text version writes it, after the link's words: "(http://…)", "<…>"
# (read as naively as the Markdown targets below: up to the first closing parenthesis).
_TEXT_LINK = re.compile(
    r"\s*(?:\([\s\u200b]*(?:https?://|mailto:|www\.|[\w-]+(?:\.[\w-]+)+/)[^\s)]*\)"
    r"|<(?:https?://|mailto:|www\.)[^\s<>]+>)"
)


def strip_text_links(text: str) -> str:
    """Text without a text version's link targets."""
    return _TEXT_LINK.sub("", text)


def words(text: str | None, *, text_links: bool = False) -> str:
    """Lower-case words of a text, Markdown link targets and punctuation dropped (and a
    text version's link targets with `text_links`)."""
    text = re.sub(r"\]\([^)]*\)", "]", text or "")
    text = _TEXT_LINK.sub("", text) if text_links else text
    text = re.sub(r"<@(.+?)@>", r"\1", text)
    text = re.sub(r"\\?[*_`]", "", text)  # emphasis marks join words: **x**s is "xs"
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def markdown_paragraphs(text: str) -> list[str]:
    out = []
    for chunk in re.split(r"\n[ \t]*\n", text):
        lines = [ln for ln in chunk.splitlines() if not re.fullmatch(r"\s*[=-]{3,}\s*", ln)]
        if lines and _END.match(lines[0]):
            break
        out.append(" ".join(lines))
    return [p for p in out if words(p)]


def text_paragraphs(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        if _END.match(line):
            break
        if words(line):
            out.append(line)
    return out


def html_paragraphs(html: str) -> list[str]:
    soup = BeautifulSoup(html, "lxml")
    out = []
    for el in soup.find_all(("p", "h1", "h2", "h3", "h4", "h5", "h6", "li")):
        if el.find(("p", "li")):
            continue
        text = collapse(el.get_text())
        if _END.match(text):
            break
        if words(text):
            out.append(text)
    return out


def stored_text(issue: ParsedIssue, *, text_links: bool = False) -> str:
    """Everything storage keeps of a parsed issue (issue notes and every summary field)."""
    parts = [issue.notes]
    for s in issue.summaries:
        parts += [*s.section_path, s.title, s.authors or "", s.summarizer or "", s.hat_tip or ""]
        parts += [s.summary, *(o.text for o in s.opinions)]
        parts += [s.prerequisites or "", s.read_more or ""]
    return " ".join(words(p, text_links=text_links) for p in parts if p)


def lost_paragraphs(
    paragraphs: list[str], issue: ParsedIssue, *, text_links: bool = False
) -> list[str]:
    """Input paragraphs whose words are not all in what is stored, in order; link targets
    are not words (Markdown's, and with `text_links` a text version's "(http://…)": a
    title's link is stored as its link, a summary's as written)."""
    stored = stored_text(issue, text_links=text_links)
    lost = []
    for p in paragraphs:
        # a byline is stored as fields ("summarized by" is not kept), a paragraph the parser
        # did not take for an entry is kept as written: either way its words are stored
        w = words(
            re.sub(r"\((?:summari[sz]ed by|H/T)\s", "(", p, flags=re.I), text_links=text_links
        )
        w = re.sub(r"^\d+ ", "", _LABEL.sub("", w))  # Markdown renumbers list items
        if w and w not in stored and _LABEL.sub("", words(p, text_links=text_links)) not in stored:
            lost.append(p)
    return lost


def norm(md: str | None, *, text_links: bool = False) -> str:
    """Text without Markdown punctuation, so CSV Markdown and parsed Markdown compare;
    "1)" and "1." are the same list number (Markdown renders both as a numbered list).
    With `text_links`, a text version's link targets go as Markdown's do."""
    text = re.sub(r"\]\([^)]*\)", "", md or "")
    text = _TEXT_LINK.sub("", text) if text_links else text
    text = re.sub(r"(?<!\S)#{1,6}(?=\s)", "", text)  # "## Motivation" and its words
    text = re.sub(r"[*_\\\[\]<>@`]", "", text).replace("’", "'")
    return re.sub(r"(?<!\S)(\d+)[.)](?=\s|$)", r"\1", collapse(text))

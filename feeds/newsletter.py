"""Split a newsletter issue into its summaries.

Alignment Newsletter issues (HTML e-mails and their plain-text copies) are cut into entries:
"Title (Authors) (summarized by X): summary", followed by opinion, prerequisite and read-more
paragraphs, under section headings. Anything that does not look like an AN issue falls back
to one summary per feed item. Nothing here raises on odd input: a fallback is always returned.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag

from feeds.issue_numbers import issue_label
from feeds.markdown import html_to_markdown
from feeds.types import FeedItem, Opinion, ParsedIssue, ParsedSummary

log = logging.getLogger(__name__)

HIGHLIGHTS = "Highlights"
# Top-level sections seen in AN issues; other headings are subsections of the current one.
TOP_LEVEL_SECTIONS = (
    HIGHLIGHTS,
    "Technical AI alignment",
    "Near-term concerns",
    "AI strategy and policy",
    "AI governance",
    "Other progress in AI",
    "News",
    "Field building",
    "Previous newsletters",
    "Miscellaneous",
)
_TOP_LEVEL_KEYS = {s.casefold(): s for s in TOP_LEVEL_SECTIONS}

_WS = re.compile(r"\s+")
MAX_ISSUE_DIGITS = 6  # an issue number has at most this many digits (and fits every int column)
_ISSUE_IN_TITLE = (
    re.compile(r"\bAN\s*#\s*(\d{1,6})\b"),
    re.compile(r"\bAlignment\s+Newsletter\s*(?:#|No\.?|Issue)?\s*(\d{1,6})\b", re.I),
)
# In body text "(AN #50)" is a cross reference, so only a leading "[AN #56]" or the full
# name counts as the issue's own number.
_ISSUE_IN_TEXT = (
    re.compile(r"^\s*\[AN\s*#\s*(\d{1,6})\]", re.M),
    re.compile(r"\bAlignment\s+Newsletter\s*(?:#|No\.?|Issue)\s*(\d{1,6})\b", re.I),
)
_CROSS_REF = re.compile(r"\b(AN|Recon)\s*#\s*(\d{1,6})\b")

_OPINION = re.compile(
    r"^\s*(?:(?P<by>[A-Z][\w.\-]*(?:(?: |/| and | & )[A-Z][\w.\-]*){0,3})['’]s|My) opinion\s*:\s*"
)
_PREREQ = re.compile(r"^\s*Prerequisi?ti?es\s*:\s*", re.I)
_READ_MORE = re.compile(r"^\s*Read more\s*:\s*", re.I)
_AFTER_TITLE = re.compile(
    r"^\s*(?:\((?P<authors>(?:[^()]|\([^()]{0,40}\)){1,2000})\))?"
    r"\s*(?:\(summarized by (?P<by>[^()]{1,100})\))?"
    r"\s*(?::\s*(?P<body>.*))?$",
    re.S,
)
_TEXT_ENTRY = re.compile(
    r"^(?P<title>\S.{0,300}?)\s+\((?P<authors>(?:[^()]|\([^()]{0,40}\)){1,2000})\)"
    r"(?:\s*\(summarized by (?P<by>[^()]{1,100})\))?\s*(?::\s*(?P<body>.*)|$)",
    re.S,
)
_SUMMARIZED = re.compile(r"^summarized by\s+(.+)$", re.I)
_FOOTER = re.compile(
    r"^\s*(?:Copyright\s*(?:©|\(c\))|Want to change how you receive|You are receiving this"
    r"|Our mailing address is|unsubscribe from this list|New Comment\s*$)",
    re.I,
)
_HEADING_TAGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_LEAF_BLOCKS = ("p", "li", "pre", "blockquote", "dd", "dt")
_CONTAINERS = (
    "html", "body", "div", "section", "article", "table", "tbody", "thead", "tr", "td", "th",
    "ul", "ol", "center", "main", "header", "footer", "dl", "span", "font", "tfoot",
)  # fmt: skip
_BOLD_HEADING = 7  # level given to a <p> that is one short bold phrase
_TEXT_HEADING = 9  # level given to a guessed plain-text heading
_BR_RUN = re.compile(r"(?:<br\s*/?>\s*){2,}", re.I)


@dataclass(slots=True)
class _Block:
    """One paragraph or heading, in a form both the HTML and text readers produce."""

    text: str  # plain text, whitespace collapsed
    heading_level: int | None = None  # 1-6 for HTML headings, 9 for guessed text headings
    element: Tag | None = None  # the HTML element, for Markdown and links
    lead_title: str | None = None  # HTML: bold/linked text the paragraph starts with
    lead_link: str | None = None
    lead_bold: bool = False


def issue_number(title: str, text: str = "") -> tuple[int | None, str | None]:
    """(56, "AN #56") from "[AN #56]: …", "Alignment Newsletter #56" or "AN #56"; else Nones."""
    for pattern in _ISSUE_IN_TITLE:
        m = pattern.search(title or "")
        if m:
            return int(m.group(1)), issue_label(int(m.group(1)))
    head = (text or "")[:2000]
    for pattern in _ISSUE_IN_TEXT:
        m = pattern.search(head)
        if m:
            return int(m.group(1)), issue_label(int(m.group(1)))
    return None, None


def cross_references(*texts: str | None) -> list[str]:
    """ "AN #45", "Recon #5", … in order of first mention, without repeats."""
    seen: dict[str, None] = {}
    for text in texts:
        for m in _CROSS_REF.finditer(text or ""):
            seen.setdefault(f"{m.group(1)} #{int(m.group(2))}", None)
    return list(seen)


def parse_issue(item: FeedItem) -> ParsedIssue:
    """Split a feed item's HTML into summaries; AN layout when recognised, else one summary."""
    try:
        blocks = list(_html_blocks(item.content_html or ""))
        number, label = issue_number(item.title or "", _plain(item.content_html or ""))
        issue = _assemble(blocks, title=item.title or "", link=item.link, html=True)
        issue.number, issue.label = number, label
        if _looks_like_an(issue):
            return issue
    except Exception:  # a parser bug must not lose the item: log it and fall back
        log.exception("AN layout parse failed for %r; using the generic layout", item.title)
    return _generic_issue(item)


def parse_issue_text(text: str, *, title: str = "", link: str | None = None) -> ParsedIssue:
    """Split the plain-text form of an issue (one paragraph per line), up to "New Comment"."""
    try:
        number, label = issue_number(title, text)
        issue = _assemble(_text_blocks(text), title=title, link=link, html=False)
        issue.number, issue.label = number, label
        if _looks_like_an(issue):
            return issue
    except Exception:  # same contract as parse_issue: never lose the input
        log.exception("AN layout parse failed for text issue %r; using the generic layout", title)
    return _generic_text_issue(text, title=title, link=link)


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
        summaries=[summary], layout="generic",
    )  # fmt: skip


def _generic_text_issue(text: str, *, title: str, link: str | None) -> ParsedIssue:
    number, label = issue_number(title, text)
    body = (text or "").strip()
    summary = ParsedSummary(
        title=title or "(untitled)", link=link, summary=body, cross_refs=cross_references(body)
    )
    return ParsedIssue(
        title=title, link=link, number=number, label=label, summaries=[summary], layout="generic"
    )


# ---------------------------------------------------------------- reading blocks


def _plain(html: str) -> str:
    return BeautifulSoup(html, "lxml").get_text("\n") if html.strip() else ""


def _collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()


def _text_blocks(text: str) -> Iterator[_Block]:
    for line in (text or "").splitlines():
        clean = _collapse(line)
        if not clean:
            continue
        if _FOOTER.match(clean):
            return
        yield _Block(
            text=clean, heading_level=_TEXT_HEADING if _looks_like_text_heading(clean) else None
        )


def _looks_like_text_heading(line: str) -> bool:
    if line.casefold() in _TOP_LEVEL_KEYS:
        return True
    if len(line) > 60 or len(line.split()) > 8 or "(" in line:
        return False
    if line[-1] in ".:?!,;\"'”’)" or not (line[0].isupper() or line[0].isdigit()):
        return False
    return not (_OPINION.match(line) or _PREREQ.match(line) or _READ_MORE.match(line))


def _html_blocks(html: str) -> Iterator[_Block]:
    if not html.strip():
        return
    soup = BeautifulSoup(_BR_RUN.sub("</p><p>", html), "lxml")
    for tag in soup.find_all(("script", "style", "head", "noscript")):
        tag.decompose()
    for el in _walk(soup):
        text = _collapse(el.get_text(" "))
        if not text:
            continue
        if _FOOTER.match(text):
            return
        if el.name in _HEADING_TAGS:
            yield _Block(text=text, heading_level=int(el.name[1]), element=el)
            continue
        lead, link, bold = _lead_title(el)
        bold_only = lead is not None and bold and link is None and _collapse(lead) == text
        level = _BOLD_HEADING if bold_only and _bold_heading(text) else None
        yield _Block(
            text=text, heading_level=level, element=el,
            lead_title=lead, lead_link=link, lead_bold=bold,
        )  # fmt: skip


def _walk(node: Tag) -> Iterator[Tag]:
    """Leaf blocks in document order: headings and paragraphs, descending into containers."""
    for child in node.children:
        if not isinstance(child, Tag):
            continue
        if child.name in _HEADING_TAGS or child.name in _LEAF_BLOCKS:
            yield child
        elif child.name in _CONTAINERS or child.find(_HEADING_TAGS + _LEAF_BLOCKS):
            yield from _walk(child)
        elif child.get_text(strip=True):
            yield child


def _bold_heading(text: str) -> bool:
    return len(text) <= 80 and text[-1] not in ".:;,!?" and not _OPINION.match(text)


def _lead_title(el: Tag) -> tuple[str | None, str | None, bool]:
    """The bold or linked text a paragraph opens with (an entry's title), its link, boldness."""
    for child in el.children:
        if isinstance(child, NavigableString):
            if str(child).strip():
                return None, None, False
            continue
        if not isinstance(child, Tag) or child.name == "br":
            continue
        if child.name not in ("a", "b", "strong"):
            return None, None, False
        anchor = child if child.name == "a" else child.find("a")
        href = str(anchor.get("href") or "").strip() if isinstance(anchor, Tag) else ""
        bold = child.name != "a" or child.find(("b", "strong")) is not None
        return child.get_text(" "), href or None, bold
    return None, None, False


# ---------------------------------------------------------------- assembling entries


@dataclass(slots=True)
class _State:
    top: str | None = None
    sub: str | None = None
    top_level: int | None = None  # HTML heading level used for top-level sections
    entry: ParsedSummary | None = None
    target: str = "summary"  # where continuation paragraphs go: "summary" | "opinion"


def _assemble(blocks: Iterable[_Block], *, title: str, link: str | None, html: bool) -> ParsedIssue:
    state = _State()
    summaries: list[ParsedSummary] = []
    intro: list[str] = []
    for block in blocks:
        if _is_heading(state, block):
            _enter_heading(state, block)
            continue
        marker = _marker(block, html)
        if marker is not None and state.entry is not None:
            _apply_marker(state, *marker)
            continue
        header = _entry_header(block, loose=state.entry is None)
        if header is not None:
            entry_title, authors, by, body_md, entry_link = header
            state.entry = ParsedSummary(
                title=entry_title,
                section_path=_section_path(state),
                link=entry_link,
                authors=authors,
                summarizer=by,
                summary=body_md,
                highlight=(state.top or HIGHLIGHTS) == HIGHLIGHTS,
            )
            state.target = "summary"
            summaries.append(state.entry)
            continue
        text = _block_markdown(block, html, drop=0)
        if state.entry is None:
            intro.append(text)
        else:
            _append(state, text)
    for s in summaries:
        s.cross_refs = cross_references(s.summary, *(o.text for o in s.opinions), s.prerequisites)
    return ParsedIssue(
        title=title, link=link, number=None, label=None, summaries=summaries, layout="an",
        intro="\n\n".join(t for t in intro if t),
    )  # fmt: skip


def _is_heading(state: _State, block: _Block) -> bool:
    if block.heading_level is None or _entry_header(block, loose=False) is not None:
        return False
    if block.heading_level != _BOLD_HEADING:
        return True
    # Summaries use bold-only paragraphs as lead-ins; inside an entry they are headings only
    # when they name a known section or the issue marks all its headings that way.
    return (
        state.entry is None
        or block.text.casefold() in _TOP_LEVEL_KEYS
        or state.top_level == _BOLD_HEADING
    )


def _enter_heading(state: _State, block: _Block) -> None:
    name = block.text.strip().rstrip(":").strip()
    known = _TOP_LEVEL_KEYS.get(name.casefold())
    level = block.heading_level
    html_level = level if level is not None and level < _TEXT_HEADING else None
    if state.top is None:
        is_top = True
    elif html_level is not None and state.top_level is not None:
        # The markup decides once a known section has shown which level is top-level:
        # "AI governance" is a section in later issues and a subsection in earlier ones.
        # At the same level, bold-paragraph headings need a known name to be sections.
        if html_level != state.top_level:
            is_top = html_level < state.top_level
        else:
            is_top = known is not None or html_level != _BOLD_HEADING
    else:
        is_top = known is not None
    if is_top:
        state.top, state.sub = known or name, None
        if known is not None and html_level is not None:
            state.top_level = html_level
    else:
        state.sub = name
    state.entry = None


def _section_path(state: _State) -> tuple[str, ...]:
    top = state.top or HIGHLIGHTS
    return (top, state.sub) if state.sub else (top,)


def _marker(block: _Block, html: bool) -> tuple[str, str | None, str] | None:
    """("opinion", by, text) / ("prereq", None, text) / ("read_more", None, text) or None."""
    for kind, pattern in (("opinion", _OPINION), ("prereq", _PREREQ), ("read_more", _READ_MORE)):
        m = pattern.match(block.text)
        if m:
            by = m.group("by") if kind == "opinion" else None
            raw_prefix = _raw_prefix_length(block, m.group(0)) if html else len(m.group(0))
            text = _block_markdown(block, html, drop=raw_prefix)
            return kind, by, text
    return None


def _apply_marker(state: _State, kind: str, by: str | None, text: str) -> None:
    entry = state.entry
    assert entry is not None
    if kind == "opinion":
        entry.opinions.append(Opinion(by=by or entry.summarizer or "editor", text=text))
        state.target = "opinion"
    elif kind == "prereq":
        entry.prerequisites = _join(entry.prerequisites, text)
    else:
        entry.read_more = _join(entry.read_more, text)


def _append(state: _State, text: str) -> None:
    entry = state.entry
    assert entry is not None
    if state.target == "opinion" and entry.opinions:
        last = entry.opinions[-1]
        entry.opinions[-1] = Opinion(by=last.by, text=_join(last.text, text) or "")
    else:
        entry.summary = _join(entry.summary, text) or ""


def _join(old: str | None, new: str) -> str | None:
    if not new:
        return old
    return f"{old}\n\n{new}" if old else new


def _entry_header(
    block: _Block, *, loose: bool
) -> tuple[str, str | None, str | None, str, str | None] | None:
    """(title, authors, summarizer, summary Markdown, link) when the block opens an entry.

    An HTML paragraph opening with a linked title, or with a bold title and an author group,
    is an entry. A bold "Title: text" without either only counts when `loose` (nothing to
    continue: first paragraph under a heading), since summaries use bold lead-ins too.
    """
    if _OPINION.match(block.text) or _PREREQ.match(block.text) or _READ_MORE.match(block.text):
        return None
    if block.element is not None:
        return _html_entry_header(block, loose=loose)
    if block.heading_level is not None:
        return None
    m = _TEXT_ENTRY.match(block.text)
    if not m or _sentence_like(m.group("title")):
        return None
    authors, by = _authors_and_summarizer(m.group("authors"), m.group("by"))
    return _collapse(m.group("title")), authors, by, (m.group("body") or "").strip(), None


def _html_entry_header(
    block: _Block, *, loose: bool
) -> tuple[str, str | None, str | None, str, str | None] | None:
    lead = _collapse(block.lead_title or "")
    if not lead or not block.text.startswith(lead):
        return None
    m = _AFTER_TITLE.match(block.text[len(lead) :])
    if not m:
        return None
    has_colon = lead.endswith(":") or m.group("body") is not None
    titled = block.lead_bold and (block.lead_link is not None or (loose and has_colon))
    if not (m.group("authors") or m.group("by") or titled):
        return None
    if block.heading_level is not None and not (m.group("authors") or m.group("by")):
        return None
    authors, by = _authors_and_summarizer(m.group("authors"), m.group("by"))
    header_end = len(lead) + (m.start("body") if m.group("body") is not None else m.end())
    drop = _raw_prefix_length(block, block.text[:header_end])
    body = _block_markdown(block, True, drop=drop)
    return lead.rstrip(":").strip(), authors, by, body.strip(), block.lead_link


def _authors_and_summarizer(authors: str | None, by: str | None) -> tuple[str | None, str | None]:
    authors = _collapse(authors) if authors else None
    by = _collapse(by) if by else None
    if authors:
        m = _SUMMARIZED.match(authors)
        if m:
            authors, by = None, by or _collapse(m.group(1))
    return authors or None, by or None


def _sentence_like(title: str) -> bool:
    """Titles are not sentences of running prose: reject text with a full stop mid-way."""
    return bool(re.search(r"[a-z]{2}\. [A-Z]", title)) or len(title) > 300


# ---------------------------------------------------------------- HTML text surgery


def _raw_prefix_length(block: _Block, collapsed_prefix: str) -> int:
    """Characters of the element's raw text that make up a collapsed-text prefix."""
    assert block.element is not None
    raw = block.element.get_text()
    target = len(_collapse(collapsed_prefix).replace(" ", ""))
    seen = 0
    for i, ch in enumerate(raw):
        if seen >= target:
            return i
        if not ch.isspace():
            seen += 1
    return len(raw)


def _block_markdown(block: _Block, html: bool, *, drop: int) -> str:
    if not html or block.element is None:
        return block.text[drop:].strip()
    el = copy.copy(block.element)
    remaining = drop
    for s in list(el.find_all(string=True)):
        if remaining <= 0:
            break
        n = len(s)
        if n <= remaining:
            s.replace_with("")
            remaining -= n
        else:
            s.replace_with(str(s)[remaining:])
            remaining = 0
    for tag in el.find_all(True):
        if tag.decomposed:
            continue
        if tag.name not in ("img", "br") and not tag.get_text() and not tag.find("img"):
            tag.decompose()
    el.name = "div" if el.name in _HEADING_TAGS else el.name
    return html_to_markdown(str(el))

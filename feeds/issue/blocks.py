"""Blocks: an issue in any form read into the same paragraphs and headings.

HTML (feed bodies, saved pages) is read with BeautifulSoup/lxml, Markdown is rendered to HTML
by markdown-it-py and read the same way, plain text is one paragraph per line (or per
blank-line-separated chunk when the lines are hard-wrapped), rules dropped and the headings
a text version marks ("** NAME", underlines) noted. The entry grammar (grammar.py)
works on these blocks whatever the form was.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass

from bs4 import BeautifulSoup, NavigableString, Tag
from markdown_it import MarkdownIt

from feeds.markdown import element_to_markdown

_WS = re.compile(r"\s+")
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
_BR_RUN = re.compile(r"(?:<br\s*/?>\s*){2,}", re.I)
# Text between the links of a title of several links: "A and B", "A, B and C", "A & B".
_CONNECTOR = re.compile(r"^\s*(?:,|,?\s*and|&)\s*$")
BOLD_HEADING = 7  # level given to a <p> that is one short bold phrase
TEXT_HEADING = 9  # level given to a guessed plain-text heading


def collapse(text: str) -> str:
    return _WS.sub(" ", text).strip()


@dataclass(slots=True)
class Lead:
    """The bold or linked run a paragraph opens with: an entry's title when a byline follows."""

    text: str  # plain text, whitespace collapsed
    nodes: list[Tag | NavigableString]  # the run's nodes, for its Markdown
    link: str | None  # the href when the run holds exactly one link
    links: int
    bold: bool

    def markdown(self) -> str:
        """The run as Markdown without bold marks (titles of several links keep their links)."""
        holder = BeautifulSoup("<div></div>", "lxml").div
        assert holder is not None
        for node in self.nodes:
            holder.append(copy.copy(node))
        md = element_to_markdown(holder)
        return collapse(re.sub(r"(?<!\\)\*\*|(?<![\w\\])__|__(?!\w)", "", md))


@dataclass(slots=True)
class Block:
    """One paragraph or heading, in a form every reader produces."""

    text: str  # plain text, whitespace collapsed
    heading_level: int | None = None  # 1-6 HTML headings, BOLD_HEADING, TEXT_HEADING
    element: Tag | None = None  # the HTML element (HTML and Markdown forms)
    lead: Lead | None = None
    list_prefix: str = ""  # "3. " for a numbered list's third item, "- " for a bullet
    title_line: bool = False  # a plain-text line that is only an entry's title
    underlined: bool = False  # a plain-text line over a rule ("Highlights" over "====")

    def markdown(self, drop: int = 0) -> str:
        """The block as Markdown, without its first `drop` characters of collapsed text."""
        if self.element is None:
            return self.text[drop:].strip()
        el = copy.copy(self.element)
        remaining = _raw_prefix_length(self.element, self.text[:drop]) if drop else 0
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
        for tag in el.find_all(True) if drop else ():  # tags the cut left empty
            if tag.decomposed:
                continue
            if tag.name not in ("img", "br") and not tag.get_text() and not tag.find("img"):
                tag.decompose()
        prefix = self.list_prefix if drop == 0 else ""
        # a heading stays one ("## Motivation" inside a summary) unless its start was cut off
        cut = (*_HEADING_TAGS, "li") if drop else ("li",)
        el.name = "div" if el.name in cut else el.name
        return prefix + element_to_markdown(el)


def _raw_prefix_length(element: Tag, collapsed_prefix: str) -> int:
    """Characters of the element's raw text that make up a collapsed-text prefix."""
    raw = element.get_text()
    target = len(collapsed_prefix.replace(" ", ""))
    seen = 0
    for i, ch in enumerate(raw):
        if seen >= target:
            return i
        if not ch.isspace():
            seen += 1
    return len(raw)


# ---------------------------------------------------------------- plain text


# A rule: a line of dashes, equals signs or stars (an underline, or a mail's separator).
_RULE = re.compile(r"^\s*([-=_*~#])(?:\s*\1){2,}\s*$")
# A mail's text version marks headings "** HIGHLIGHTS" (and underlines them with dashes).
_STAR_HEADING = re.compile(r"^\*\*\s+(?P<name>[^*\s](?:(?!\*\*).)*)$")


def text_blocks(text: str) -> Iterator[Block]:
    """Paragraphs of plain text, up to a mail footer or the forum's "New Comment".

    Rules carry no text and are dropped: the line over one is marked `underlined` (a
    heading if it reads as one, see sections.confirm_text_lines; a mail's separator runs
    under any last line); a line marked "** Name" is a heading (TEXT_HEADING), as e-mail
    text versions write them.
    """
    blocks: list[Block] = []
    for para in _text_paragraphs(text or ""):
        if _RULE.match(para):
            if blocks:
                blocks[-1].underlined = True
            continue
        clean = collapse(para)
        if not clean:
            continue
        if _FOOTER.match(clean):
            break
        star = _STAR_HEADING.match(clean)
        if star is not None:
            blocks.append(Block(text=star.group("name").strip(), heading_level=TEXT_HEADING))
        else:
            blocks.append(Block(text=clean))
    yield from blocks


def _text_paragraphs(text: str) -> list[str]:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    chunks = re.split(r"\n[ \t]*\n", "\n".join(lines))
    # Forum copies hold one paragraph per line; hard-wrapped text (mail clients, 72-80
    # columns) has several lines per blank-line-separated paragraph, most of them near
    # the width, and none longer (but for one long word: a URL no wrapper can break).
    multi = [
        body
        for c in chunks
        if len(body := [ln for ln in c.strip().split("\n") if not _RULE.match(ln)]) >= 2
    ]
    inner = [line for body in multi for line in body[:-1]]
    long_lines = sum(
        1 for line in lines if len(line) - max(map(len, line.split()), default=0) > 100
    )
    near_width = sum(1 for line in inner if len(line) >= 50)
    if len(multi) >= 2 and long_lines == 0 and near_width * 2 >= len(inner):
        out: list[str] = []
        for chunk in chunks:
            current: list[str] = []
            for line in chunk.split("\n"):
                if _RULE.match(line):  # an underline or separator stands on its own
                    out += [" ".join(current), line] if current else [line]
                    current = []
                    continue
                # a list item or a marked heading starts a new paragraph
                if current and re.match(r"^\s*(?:[-*•]|\d+[.)]|\*\*)\s", line):
                    out.append(" ".join(current))
                    current = []
                current.append(line)
            out.append(" ".join(current))
        return out
    return lines


# ---------------------------------------------------------------- HTML and Markdown

_MARKDOWN = MarkdownIt("commonmark")


def markdown_blocks(text: str) -> Iterator[Block]:
    """Markdown rendered by markdown-it-py (CommonMark: setext and ATX headings), then read."""
    yield from html_blocks(_MARKDOWN.render(text or ""))


def html_blocks(html: str) -> Iterator[Block]:
    """Headings and paragraphs of an HTML document or fragment, up to a mail footer."""
    if not html.strip():
        return
    soup = BeautifulSoup(_BR_RUN.sub("</p><p>", html), "lxml")
    for tag in soup.find_all(("script", "style", "head", "noscript", "template")):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with("\n")  # so text is joined as written: "A, B" and not "A , B"
    for el in _walk(soup):
        text = collapse(el.get_text())
        if not text:
            continue
        if _FOOTER.match(text):
            return
        prefix = _list_prefix(el)
        if el.name in _HEADING_TAGS:
            yield Block(text=text, heading_level=int(el.name[1]), element=el)
            continue
        lead = _lead(el)
        bold_only = lead is not None and lead.bold and lead.links == 0 and lead.text == text
        level = BOLD_HEADING if bold_only and not prefix and _bold_heading(text) else None
        yield Block(text=text, heading_level=level, element=el, lead=lead, list_prefix=prefix)


def _walk(node: Tag) -> Iterator[Tag]:
    """Leaf blocks in document order: headings and paragraphs, descending into containers."""
    for child in node.children:
        if not isinstance(child, Tag):
            if isinstance(child, NavigableString) and node.name == "body" and child.strip():
                # bare text at the top of a page is a paragraph of its own
                wrapper = Tag(name="p")  # not a whole new document: a soup is 0.3 ms
                wrapper.string = str(child)
                yield wrapper
            continue
        if child.name in _HEADING_TAGS or child.name in _LEAF_BLOCKS:
            if child.name == "li" and child.find(("p", "ul", "ol")):
                yield from _walk(child)  # a loose list item: its paragraphs are the blocks
            else:
                yield child
        elif child.name in _CONTAINERS or child.find(_HEADING_TAGS + _LEAF_BLOCKS):
            yield from _walk(child)
        elif child.get_text(strip=True):
            yield child


def _list_prefix(el: Tag) -> str:
    item = el if el.name == "li" else el.parent
    if not isinstance(item, Tag) or item.name != "li":
        return ""
    if el is not item and el.find_previous_sibling() is not None:
        return ""
    parent = item.parent
    if isinstance(parent, Tag) and parent.name == "ol":
        try:
            start = int(str(parent.get("start") or 1))
        except ValueError:
            start = 1
        index = sum(1 for s in item.find_previous_siblings("li"))
        return f"{start + index}. "
    return "- "


def _bold_heading(text: str) -> bool:
    return (
        len(text) <= 80
        and text[-1] not in ".:;,!?"
        and not re.search(r"#\s*\d", text)
        and not re.search(r"opinion\s*:?$", text, re.I)
    )


def _lead(el: Tag) -> Lead | None:
    """The run of bold/linked children a paragraph opens with (with "and" between links)."""
    run: list[Tag | NavigableString] = []
    for child in el.children:
        if isinstance(child, NavigableString):
            if not str(child).strip():
                if run:
                    run.append(child)
                continue
            if run and _CONNECTOR.match(str(child)):
                run.append(child)
                continue
            break
        if not isinstance(child, Tag) or child.name == "br":
            continue
        if child.name in ("a", "b", "strong") or (
            child.name in ("span", "u") and child.find(("a", "b", "strong")) is not None
        ):
            run.append(child)
            continue
        break
    while run and isinstance(run[-1], NavigableString):
        run.pop()  # a trailing connector belongs to the text after the run
    tags = [n for n in run if isinstance(n, Tag)]
    if not tags:
        return None
    anchors = [a for t in tags for a in ([t] if t.name == "a" else t.find_all("a"))]
    hrefs = [str(a.get("href") or "").strip() for a in anchors]
    bold = any(t.name in ("b", "strong") or t.find(("b", "strong")) is not None for t in tags)
    text = collapse("".join(n.get_text() if isinstance(n, Tag) else str(n) for n in run))
    links = sum(1 for h in hrefs if h)
    return Lead(
        text=text,
        nodes=run,
        link=next((h for h in hrefs if h), None) if links == 1 else None,
        links=links,
        bold=bold,
    )

"""Sections of an issue: which blocks are headings, top level or subsection, and their names.

Names are normalised to the summaries database's spelling when it knows the section (case,
"&" for "and", a trailing colon), so tags and `section:` filters line up across issues;
unknown names in capitals are title-cased, others kept as the issue wrote them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feeds.issue.blocks import BOLD_HEADING, TEXT_HEADING, Block
from feeds.issue.grammar import PREREQ, READ_MORE, bare_title, loose_title, marker, title_like
from feeds.issue.section_names import DATABASE_SECTIONS, TOP_LEVEL_SECTIONS

HIGHLIGHTS = "Highlights"
# Top-level names that earlier issues used as subsections of another top-level section.
_ALSO_SUBSECTIONS = {
    "AI governance": "AI strategy and policy",
    "Field building": "AI strategy and policy",
}
# The newsletter's own closing headings: never part of a summary.
_FURNITURE = {"feedback", "podcast", "subscribe", "about the newsletter", "audio version"}
_SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to"}


def section_key(name: str) -> str:
    """The spelling-blind key of a section name: case, "&"/"and", spacing, trailing colon."""
    text = re.sub(r"\s*&\s*", " and ", name.replace("*", "")).strip().rstrip(":").strip()
    return " ".join(text.split()).casefold()


KNOWN_SECTIONS = {section_key(n): n for n in (*DATABASE_SECTIONS, *TOP_LEVEL_SECTIONS)}
TOP_LEVEL_KEYS = {section_key(n): n for n in TOP_LEVEL_SECTIONS}


def normalise_section(name: str) -> str:
    """The database's spelling of a known section; unknown capitals title-cased."""
    clean = " ".join(name.replace("*", "").split()).strip().rstrip(":").strip()
    known = KNOWN_SECTIONS.get(section_key(clean))
    if known is not None:
        return known
    if clean.isupper():
        words = clean.lower().split()
        return " ".join(
            w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words)
        )
    return clean


def looks_like_text_heading(line: str) -> bool:
    """Could this plain-text line be a heading? (confirmed by what follows it, see confirm)."""
    if section_key(line) in KNOWN_SECTIONS or section_key(line) in _FURNITURE:
        return True
    if len(line) > 60 or len(line.split()) > 8 or "(" in line or "#" in line:
        return False
    if line[-1] in ".:?!,;\"'”’)" or not (line[0].isupper() or line[0].isdigit()):
        return False
    if re.match(r"^(?:See also|See|Also|Via|Source|Paper|Link|Update|Edit)\b", line, re.I):
        return False
    return marker(line) is None and not (PREREQ.match(line) or READ_MORE.match(line))


@dataclass(slots=True)
class SectionState:
    """Where the reader is: the current top-level section and subsection."""

    top: str | None = None
    sub: str | None = None
    top_level: int | None = None  # HTML heading level used for top-level sections
    top_block: int | None = None  # index of the heading block that opened `top`
    sub_block: int | None = None

    def path(self) -> tuple[str, ...]:
        top = self.top or HIGHLIGHTS
        return (top, self.sub) if self.sub else (top,)

    def enter(self, block: Block, index: int) -> None:
        name = normalise_section(block.text)
        known = TOP_LEVEL_KEYS.get(section_key(block.text))
        if known in _ALSO_SUBSECTIONS and self.top == _ALSO_SUBSECTIONS[known]:
            known = None  # "AI governance" under "AI strategy and policy" is its subsection
        level = block.heading_level
        html_level = level if level is not None and level < TEXT_HEADING else None
        if self.top is None:
            is_top = True
        elif html_level is not None and self.top_level is not None:
            # The markup decides once a known section has shown which level is top-level:
            # "AI governance" is a section in later issues and a subsection in earlier ones.
            # At the same level, bold-paragraph headings need a known name to be sections.
            if html_level != self.top_level:
                is_top = html_level < self.top_level
            else:
                is_top = known is not None or html_level != BOLD_HEADING
        else:
            is_top = known is not None
        if is_top:
            self.top, self.sub, self.top_block, self.sub_block = known or name, None, index, None
            if known is not None and html_level is not None:
                self.top_level = html_level
        else:
            self.sub, self.sub_block = name, index

    def is_heading(self, block: Block, *, in_entry: bool, opens_entry: bool) -> bool:
        if block.heading_level == TEXT_HEADING:
            return True  # confirm_text_lines already weighed it against an entry
        if block.heading_level is None or opens_entry:
            return False
        if section_key(block.text) in _FURNITURE:
            return True
        if in_entry and block.text[-1] in "?.:!":
            return False  # a question or sentence set as a heading inside a summary
        if (
            in_entry
            and self.sub is None
            and self.top_level is not None
            and block.heading_level > self.top_level
            and section_key(block.text) not in KNOWN_SECTIONS
        ):
            # Entries sit either right under a section (Highlights, News) or under its
            # subsections, never both: a deeper unknown heading after such an entry is the
            # summary's own ("Motivation", "Future work").
            return False
        if block.heading_level != BOLD_HEADING:
            return True
        # Summaries use bold-only paragraphs as lead-ins; inside an entry they are headings
        # only when they name a known section or the issue marks all its headings that way.
        return (
            not in_entry
            or section_key(block.text) in KNOWN_SECTIONS
            or self.top_level == BOLD_HEADING
        )


def confirm_text_lines(blocks: list[Block], opens_entry: list[bool]) -> None:
    """Decide which plain-text lines are headings and which are titles on their own.

    Known section names are headings, and so is what the text marks as one (underlined,
    "** Name"). Another heading-like line is a heading when an entry follows it, or an
    unknown heading, or a known subsection when it is short enough to be a top-level one
    (a heading never introduces prose, and a subsection is never empty, so no known
    top-level section follows one), in the issue's own heading style: when its known
    headings are in capitals, so are the others; when it marks its headings, only marked
    lines are. A title-like line with no byline (grammar.bare_title) is an entry of its own
    when an entry, a heading, the end, or its prerequisites / read more follow it; so is
    any line that does not end like a sentence in a run of such lines right under a heading
    (nothing there to continue). Not after a colon (a list) or a read-more (its links), nor
    in the preamble or under the closing headings (feedback, podcast).
    """
    n = len(blocks)
    for b in blocks:
        if b.underlined and b.heading_level is None and _underline_heading(b.text):
            b.heading_level = TEXT_HEADING
    marked = [b.heading_level == TEXT_HEADING for b in blocks]
    keys = [section_key(b.text) for b in blocks]
    plain = [b.element is None and not marked[i] for i, b in enumerate(blocks)]
    known = [plain[i] and (keys[i] in KNOWN_SECTIONS or keys[i] in _FURNITURE) for i in range(n)]
    for i in range(n):
        if known[i]:
            blocks[i].heading_level = TEXT_HEADING
    named = [
        b.text
        for i, b in enumerate(blocks)
        if (marked[i] or known[i]) and keys[i] in KNOWN_SECTIONS
    ]
    capitals = bool(named) and all(t.isupper() for t in named)
    guess_headings = not any(marked)
    markers = [marker(b.text) for b in blocks]
    strict = [plain[i] and not opens_entry[i] and bare_title(b.text) for i, b in enumerate(blocks)]
    weak = [plain[i] and not opens_entry[i] and loose_title(b.text) for i, b in enumerate(blocks)]
    # no titles on their own in the preamble (before the first section or entry) or under
    # the newsletter's closing headings (feedback, podcast)
    outside = [True] * n
    for i in range(1, n):
        before = blocks[i - 1]
        if marked[i - 1] or known[i - 1]:
            outside[i] = keys[i - 1] in _FURNITURE
        else:
            outside[i] = outside[i - 1] and not opens_entry[i - 1]
    # a line after "…:" is a list item, a line after "Read more: …" one of its links
    follows = [False] * n
    for i in range(1, n):
        before, found = blocks[i - 1], markers[i - 1]
        if plain[i - 1] and not opens_entry[i - 1]:
            follows[i] = (
                before.text.endswith(":")
                or (found is not None and found.kind != "opinion")
                or (follows[i - 1] and weak[i - 1])
            )
    # heading (unknown), top (a known top-level or closing one), sub (a known subsection),
    # entry, title, marker (prerequisites, read more), prose, end
    kinds = ["end"] * (n + 1)
    for i in range(n - 1, -1, -1):
        block, after = blocks[i], kinds[i + 1]
        found = markers[i]
        if block.heading_level == TEXT_HEADING:
            if keys[i] in TOP_LEVEL_KEYS or keys[i] in _FURNITURE:
                kinds[i] = "top"
            else:
                kinds[i] = "sub" if keys[i] in KNOWN_SECTIONS else "heading"
        elif not plain[i] or opens_entry[i]:
            kinds[i] = "entry" if opens_entry[i] else "prose"
        elif found is not None:
            kinds[i] = "marker" if found.kind != "opinion" else "prose"
        elif (
            guess_headings
            and looks_like_text_heading(block.text)
            and (
                after in ("entry", "title", "heading")
                or (after == "sub" and len(block.text.split()) <= 4)  # an unknown top level
            )
            and (block.text.isupper() or not capitals)
            and (capitals or not (strict[i] and title_like(block.text)))
        ):
            block.heading_level = TEXT_HEADING
            kinds[i] = "heading"
        elif strict[i] and not (follows[i] or outside[i]) and after in _AFTER_TITLE:
            kinds[i] = "title"
        else:
            kinds[i] = "prose"
    # lines right under a heading that do not end like sentences: nothing to continue
    i = 0
    while i < n:
        if kinds[i] not in ("heading", "top", "sub") or i + 1 >= n:
            i += 1
            continue
        j = i + 1
        while (
            j < n and kinds[j] in ("prose", "title") and weak[j] and not (follows[j] or outside[j])
        ):
            j += 1
        if j > i + 1 and kinds[j] in _AFTER_TITLE:
            for k in range(i + 1, j):
                kinds[k] = "title"
        i = j
    for i in range(n):
        blocks[i].title_line = kinds[i] == "title"


_AFTER_TITLE = ("entry", "title", "heading", "top", "sub", "end", "marker")


def _underline_heading(line: str) -> bool:
    """Is an underlined line a heading: short, no sentence, label or link (a mail's
    separator runs under whatever line comes last)?"""
    return (
        len(line) <= 80
        and line[-1] not in ".,;:!?"
        and marker(line) is None
        and re.search(r"https?://|www\.|\(", line) is None
    )

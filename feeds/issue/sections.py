"""Sections of an issue: which blocks are headings, top level or subsection, and their names.

Names are normalised to the summaries database's spelling when it knows the section (case,
"&" for "and", a trailing colon), so tags and `section:` filters line up across issues;
unknown names in capitals are title-cased, others kept as the issue wrote them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from feeds.issue.blocks import BOLD_HEADING, TEXT_HEADING, Block
from feeds.issue.grammar import PREREQ, READ_MORE, marker
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
            return True  # confirm_text_headings already weighed it against an entry
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


def confirm_text_headings(blocks: list[Block], opens_entry: list[bool]) -> None:
    """Mark plain-text headings: a known section name, or a heading-like line followed by an
    entry or another heading (a heading never introduces prose)."""
    candidates = [b.element is None and looks_like_text_heading(b.text) for b in blocks]
    for i in range(len(blocks) - 1, -1, -1):
        block = blocks[i]
        if not candidates[i]:
            continue
        key = section_key(block.text)
        if key in KNOWN_SECTIONS or key in _FURNITURE:  # "Miscellaneous (Alignment)"
            block.heading_level = TEXT_HEADING
            continue
        if opens_entry[i]:
            continue
        nxt = i + 1
        if nxt < len(blocks) and (opens_entry[nxt] or blocks[nxt].heading_level == TEXT_HEADING):
            block.heading_level = TEXT_HEADING

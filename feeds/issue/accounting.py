"""Accounting: every block of an issue ends in exactly one place, and nothing is dropped.

A block is a heading, part of an entry (its header, summary, opinion, prerequisites, read
more) or a note. Notes before the first entry are the issue's intro, notes after the last
one its outro (feedback, podcast); notes between entries (a section's own prose, a marker
with no entry to attach to, a heading no entry sits under) are "unplaced": kept with the
issue and reported, so a reader can see what the parser could not place.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Note:
    index: int  # block index
    text: str  # Markdown
    entries_before: int


@dataclass(slots=True)
class Ledger:
    """Where each block went; `place` is called exactly once per block."""

    places: dict[int, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    headings: dict[int, str] = field(default_factory=dict)  # block index → heading Markdown
    used_headings: set[int] = field(default_factory=set)
    heading_entries: dict[int, int] = field(default_factory=dict)  # entries before a heading

    def place(self, index: int, where: str) -> None:
        if index in self.places:  # a bug, not bad input: two owners would store it twice
            raise AssertionError(f"block {index} placed twice ({self.places[index]}, {where})")
        self.places[index] = where

    def note(self, index: int, text: str, entries_before: int) -> None:
        self.place(index, "note")
        if text:
            self.notes.append(Note(index, text, entries_before))

    def heading(self, index: int, text: str, entries_before: int) -> None:
        self.place(index, "heading")
        self.headings[index] = text
        self.heading_entries[index] = entries_before

    def use_heading(self, index: int | None) -> None:
        if index is not None:
            self.used_headings.add(index)

    def resolve(self, total_entries: int) -> tuple[list[str], list[str], list[str]]:
        """(intro, unplaced, outro) paragraphs in document order.

        A heading no entry sits under is a note too (its name would be lost otherwise).
        """
        items = list(self.notes)
        for index, text in self.headings.items():
            if index not in self.used_headings:
                items.append(Note(index, text, self.heading_entries[index]))
        items.sort(key=lambda n: n.index)
        intro: list[str] = []
        unplaced: list[str] = []
        outro: list[str] = []
        for n in items:
            if n.entries_before == 0:
                intro.append(n.text)
            elif n.entries_before >= total_entries:
                outro.append(n.text)
            else:
                unplaced.append(n.text)
        return intro, unplaced, outro

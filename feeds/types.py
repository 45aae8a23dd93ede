"""Plain data that leaves the feeds layer: no Discord, no SQL."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FeedItem:
    """One entry of an RSS/Atom feed, as feedparser understood it."""

    entry_id: str  # guid, else link, else title+date (see feeds.parse.entry_id)
    title: str
    link: str | None
    published: datetime | None
    updated: datetime | None
    content_html: str  # the richest body the entry carried (content > summary)
    author: str | None = None


@dataclass(frozen=True, slots=True)
class Opinion:
    by: str  # "Rohin"
    text: str  # Discord Markdown


@dataclass(slots=True)
class ParsedSummary:
    """One summary of a newsletter issue (or one whole item of a generic feed)."""

    title: str
    section_path: tuple[str, ...] = ()  # ("Technical AI alignment", "Learning human intent")
    link: str | None = None
    authors: str | None = None
    summarizer: str | None = None  # "Cody" from "(summarized by Cody)"
    hat_tip: str | None = None  # "Jon Rodriguez" from "(H/T Jon Rodriguez)"
    summary: str = ""  # Discord Markdown; empty for title-and-authors-only entries
    opinions: list[Opinion] = field(default_factory=list)
    prerequisites: str | None = None
    read_more: str | None = None
    cross_refs: list[str] = field(default_factory=list)  # ["AN #45", "Recon #5"]
    highlight: bool = False
    venue: str | None = None
    year: str | None = None

    @property
    def section(self) -> str:
        return " / ".join(self.section_path)


@dataclass(slots=True)
class ParsedIssue:
    """A feed item split into its summaries; layout says which parser produced it."""

    title: str
    link: str | None
    number: int | None  # 56 for "Alignment Newsletter #56"
    label: str | None  # "AN #56"
    summaries: list[ParsedSummary]
    layout: str  # "an" or "generic"
    intro: str = ""  # paragraphs before the first entry, Markdown
    outro: str = ""  # paragraphs after the last entry that follow a heading (feedback, podcast)
    # Paragraphs (and headings without entries) between entries that belong to no entry:
    # kept and reported, never dropped.
    unplaced: list[str] = field(default_factory=list)
    form: str = ""  # "html" | "markdown" | "text" (feed items are "html")

    @property
    def notes(self) -> str:
        """Everything of the issue that is not in a summary, to store with the issue."""
        return "\n\n".join(p for p in (self.intro, *self.unplaced, self.outro) if p)

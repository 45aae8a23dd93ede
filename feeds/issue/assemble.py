"""Blocks → a ParsedIssue: sections, entries and their parts, with every block accounted for."""

from __future__ import annotations

from dataclasses import dataclass

from feeds.issue.accounting import Ledger
from feeds.issue.blocks import TEXT_HEADING, Block
from feeds.issue.grammar import Header, entry_header, marker
from feeds.issue.identity import cross_references
from feeds.issue.sections import HIGHLIGHTS, SectionState, confirm_text_lines
from feeds.types import Opinion, ParsedIssue, ParsedSummary


@dataclass(slots=True)
class _Entry:
    summary: ParsedSummary
    target: str = "summary"  # where unlabelled paragraphs go: summary, opinion, prereq, read_more


def assemble(blocks: list[Block], *, title: str, link: str | None, form: str) -> ParsedIssue:
    """Split blocks into entries under their sections; see accounting.Ledger for the rest."""
    if form == "text":
        opens = [entry_header(b, loose=True) is not None for b in blocks]
        confirm_text_lines(blocks, opens)
    sections = SectionState()
    ledger = Ledger()
    summaries: list[ParsedSummary] = []
    entry: _Entry | None = None
    for index, block in enumerate(blocks):
        header = entry_header(block, loose=entry is None)
        if sections.is_heading(block, in_entry=entry is not None, opens_entry=header is not None):
            sections.enter(block, index)
            ledger.heading(index, block.markdown() or block.text, len(summaries))
            entry = None
            continue
        found = marker(block.text)
        if found is not None:
            if entry is None:
                ledger.note(index, block.markdown(), len(summaries))
                continue
            ledger.place(index, found.kind)
            _apply_marker(entry, found.kind, found.by, block.markdown(drop=found.consumed))
            continue
        if header is not None and (block.heading_level != TEXT_HEADING):
            entry = _Entry(_new_summary(block, header, sections))
            summaries.append(entry.summary)
            ledger.place(index, "entry")
            ledger.use_heading(sections.top_block)
            ledger.use_heading(sections.sub_block)
            continue
        if entry is None:
            ledger.note(index, block.markdown(), len(summaries))
        else:
            ledger.place(index, entry.target)
            _append(entry, block.markdown())
    for s in summaries:
        s.cross_refs = cross_references(s.summary, *(o.text for o in s.opinions), s.prerequisites)
    intro, unplaced, outro = ledger.resolve(len(summaries))
    return ParsedIssue(
        title=title, link=link, number=None, label=None, summaries=summaries, layout="an",
        intro="\n\n".join(intro), outro="\n\n".join(outro), unplaced=unplaced, form=form,
    )  # fmt: skip


def _new_summary(block: Block, header: Header, sections: SectionState) -> ParsedSummary:
    path = sections.path()
    return ParsedSummary(
        title=header.title,
        section_path=path,
        link=header.link,
        authors=header.authors,
        summarizer=header.summarizer,
        hat_tip=header.hat_tip,
        summary=block.markdown(drop=header.consumed) if header.consumed < len(block.text) else "",
        highlight=path[0] == HIGHLIGHTS,
    )


def _apply_marker(entry: _Entry, kind: str, by: str | None, text: str) -> None:
    s = entry.summary
    if kind == "opinion":
        s.opinions.append(Opinion(by=by or s.summarizer or "editor", text=text))
        entry.target = "opinion"
    elif kind == "prereq":
        s.prerequisites = _join(s.prerequisites, text)
        entry.target = "prereq"
    else:
        s.read_more = _join(s.read_more, text)
        entry.target = "read_more"


def _append(entry: _Entry, text: str) -> None:
    """A paragraph with no label continues what came before it: opinion, links, or summary."""
    s = entry.summary
    if entry.target == "opinion" and s.opinions:
        last = s.opinions[-1]
        s.opinions[-1] = Opinion(by=last.by, text=_join(last.text, text) or "")
    elif entry.target == "prereq":
        s.prerequisites = _join(s.prerequisites, text)
    elif entry.target == "read_more":
        s.read_more = _join(s.read_more, text)
    else:
        s.summary = _join(s.summary, text) or ""


def _join(old: str | None, new: str) -> str | None:
    if not new:
        return old
    return f"{old}\n\n{new}" if old else new

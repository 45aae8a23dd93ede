"""The dry-run listing of a parsed issue: what a moderator checks before adding a feed."""

from __future__ import annotations

from feeds.types import ParsedIssue

FIRST_WORDS = 12


def _first_words(text: str, count: int = FIRST_WORDS) -> str:
    words = text.split()
    return " ".join(words[:count]) + (" …" if len(words) > count else "")


def dry_run_report(issue: ParsedIssue) -> str:
    """One line per entry (section, title, authors, summarizer, first words), then the notes."""
    name = issue.label or issue.title or "(untitled issue)"
    lines = [
        f"{name} · {issue.form or '?'} · {issue.layout} layout · {len(issue.summaries)} entries"
    ]
    section = None
    for number, s in enumerate(issue.summaries, start=1):
        if s.section != section:
            section = s.section
            lines.append(f"\n{section or '(no section)'}")
        byline = " ".join(
            part
            for part in (
                f"({s.authors})" if s.authors else "",
                f"(summarized by {s.summarizer})" if s.summarizer else "",
                f"(H/T {s.hat_tip})" if s.hat_tip else "",
            )
            if part
        )
        lines.append(f"  {number}. {s.title}" + (f" {byline}" if byline else ""))
        if s.summary:
            lines.append(f"     {_first_words(s.summary)}")
        for o in s.opinions:
            lines.append(f"     {o.by}'s opinion: {_first_words(o.text, 8)}")
    if issue.unplaced:
        lines.append(f"\n{unplaced_line(issue)}:")
        lines.extend(f"  - {_first_words(p)}" for p in issue.unplaced)
    return "\n".join(lines)


def unplaced_line(issue: ParsedIssue) -> str:
    n = len(issue.unplaced)
    return f"{n} paragraph{'' if n == 1 else 's'} not placed in any summary"

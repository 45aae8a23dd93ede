"""Which issue a text is: its number and label from a title or the issue's own text.

The one place that reads an issue number out of text (feed titles, file names, issue bodies);
what people type is read by feeds.issue_numbers, which also makes the "AN #56" label.
"""

from __future__ import annotations

import re

from feeds.issue_numbers import issue_label

_ISSUE_IN_TITLE = (
    re.compile(r"\bAN\s*#\s*(\d{1,6})\b"),
    re.compile(r"\bAlignment\s+Newsletter\s*(?:#|No\.?|Issue)?\s*(\d{1,6})\b", re.I),
    re.compile(r"^\s*AN[-_ ]0*(\d{1,4})\s*$", re.I),  # a file named an-082
)
# In body text "(AN #50)" is a cross reference, so only a leading "[AN #56]", the full name,
# a "Newsletter #92" line of its own, or the issue's audio link counts as its own number.
_ISSUE_IN_TEXT = (
    re.compile(r"^\s*\[AN\s*#\s*(\d{1,6})\]", re.M),
    re.compile(r"\bAlignment\s+Newsletter\s*(?:#|No\.?|Issue)\s*(\d{1,6})\b", re.I),
    re.compile(r"^\W*Newsletter\s*#\s*(\d{1,6})\W*$", re.M | re.I),
    re.compile(r"Audio version.{0,200}?alignment-newsletter-(\d{1,6})\b", re.I | re.S),
)
_CROSS_REF = re.compile(r"\b(AN|Recon)\s*#\s*(\d{1,6})\b")


def issue_number(title: str, text: str = "") -> tuple[int | None, str | None]:
    """(56, "AN #56") from "[AN #56]: …", "Alignment Newsletter #56", "AN #56", a file stem
    "an-056", or the text's "Newsletter #56" line; else (None, None)."""
    for pattern in _ISSUE_IN_TITLE:
        m = pattern.search(title or "")
        if m:
            return int(m.group(1)), issue_label(int(m.group(1)))
    head = (text or "")[:3000]
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

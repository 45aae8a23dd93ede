"""Issue numbers as people type them ("56", "#56", "AN #56") and the "AN #56" label. Pure.

The one parser shared by the command line (`anbot issue`), the `/an issue` slash command and the
search filter `issue:`; every number it returns fits the `issue.number` column on both backends
(PostgreSQL INTEGER, 32 bits), so no lookup can fail on an out-of-range parameter.
"""

from __future__ import annotations

import re

LABEL_PREFIX = "AN"
MAX_ISSUE_NUMBER = 2**31 - 1  # PostgreSQL INTEGER; SQLite holds more, but both must agree
# Longer digit strings are refused before int() (which is quadratic and capped at 4,300 digits).
_MAX_DIGITS = len(str(MAX_ISSUE_NUMBER))
# "AN #56", "an#56", "#56", "56", "AN 56". \d is a decimal digit of any script ("٥٦" is 56), all
# of which int() reads; "²" is a digit but not a decimal one, and int() refuses it.
_NUMBER = re.compile(r"(?:AN\s*)?#?\s*(\d+)", re.IGNORECASE)


class IssueNumberError(ValueError):
    """The text is not an issue number; the message says what to type instead."""


class IssueNumberOutOfRange(IssueNumberError):
    """A number, but 0 or larger than any stored issue number can be."""


def parse_issue_number(text: str) -> int:
    """56 from "56", "#56" or "AN #56" (any case, spaces around); else IssueNumberError."""
    shown = text if len(text) <= 40 else text[:39] + "…"
    match = _NUMBER.fullmatch(text.strip())
    if match is None:
        raise IssueNumberError(f"{shown!r} is not an issue number; give one like 56 or AN #56")
    digits = match.group(1).lstrip("0")
    if len(digits) > _MAX_DIGITS or not 0 < int(digits or "0") <= MAX_ISSUE_NUMBER:
        raise IssueNumberOutOfRange(
            f"issue number {shown.strip()} is out of range (1 to {MAX_ISSUE_NUMBER})"
        )
    return int(digits)


def issue_label(number: int) -> str:
    """ "AN #56": how the newsletter names its issues (and what `issue.label` stores)."""
    return f"{LABEL_PREFIX} #{number}"

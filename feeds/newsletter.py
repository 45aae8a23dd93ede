"""Kept for existing imports: the newsletter parser lives in the feeds.issue package."""

from feeds.issue import (
    HIGHLIGHTS,
    TOP_LEVEL_SECTIONS,
    cross_references,
    issue_number,
    parse_issue,
    parse_issue_text,
)

__all__ = [
    "HIGHLIGHTS",
    "TOP_LEVEL_SECTIONS",
    "cross_references",
    "issue_number",
    "parse_issue",
    "parse_issue_text",
]

"""Alignment Newsletter issues in any form (feed HTML, saved page, Markdown, plain text) split
into their summaries.

blocks: each form read into paragraphs and headings · grammar: the one entry grammar ·
sections: headings and section names · accounting: where every paragraph went ·
assemble: blocks → ParsedIssue · forms: form detection and entry points ·
identity: issue numbers · report: the dry-run listing.
"""

from feeds.issue.forms import detect_form, parse_issue, parse_issue_text, parse_source
from feeds.issue.identity import cross_references, issue_number
from feeds.issue.report import dry_run_report
from feeds.issue.section_names import TOP_LEVEL_SECTIONS
from feeds.issue.sections import HIGHLIGHTS, normalise_section

__all__ = [
    "HIGHLIGHTS",
    "TOP_LEVEL_SECTIONS",
    "cross_references",
    "detect_form",
    "dry_run_report",
    "issue_number",
    "normalise_section",
    "parse_issue",
    "parse_issue_text",
    "parse_source",
]

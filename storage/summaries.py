"""Summary rows: the dedupe key, the content hash, and conversion from parsed summaries."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from typing import Any

from feeds.types import ParsedSummary
from storage.models import Summary, utcnow

_NON_WORD = re.compile(r"[\W_]+")
# The fields a reader sees: a change in any of them means the posted message needs an edit.
RENDERED_FIELDS = (
    "section",
    "title",
    "link",
    "authors",
    "summarizer",
    "summary",
    "opinions",
    "prerequisites",
    "read_more",
    "highlight",
)


def dedupe_key(title: str) -> str:
    """Normalised title: case, accents, punctuation and spacing do not matter.

    The feed and the summaries database write the same title slightly differently
    ("--" vs "—", curly quotes): both must land on the same row.
    """
    text = unicodedata.normalize("NFKD", title.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(_NON_WORD.sub(" ", text).split()) or title.strip().casefold()


def unique_keys(titles: list[str]) -> list[str]:
    """Dedupe keys for the titles of one issue, numbering repeats ("x", "x #2") in order."""
    seen: dict[str, int] = {}
    keys = []
    for title in titles:
        key = dedupe_key(title)
        seen[key] = seen.get(key, 0) + 1
        keys.append(key if seen[key] == 1 else f"{key} #{seen[key]}")
    return keys


def content_hash(values: dict[str, Any]) -> str:
    """sha256 over the rendered fields of a summary (given as a dict)."""
    payload = {name: values.get(name) for name in RENDERED_FIELDS}
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def fields_from_parsed(parsed: ParsedSummary) -> dict[str, Any]:
    """Column values of a Summary row for a summary parsed from a feed entry."""
    values: dict[str, Any] = {
        "section": parsed.section,
        "title": parsed.title,
        "link": parsed.link,
        "authors": parsed.authors,
        "summarizer": parsed.summarizer,
        "summary": parsed.summary,
        "opinions": [{"by": o.by, "text": o.text} for o in parsed.opinions],
        "prerequisites": parsed.prerequisites,
        "read_more": parsed.read_more,
        "cross_refs": list(parsed.cross_refs),
        "highlight": parsed.highlight,
    }
    # The feed rarely knows venue/year: never overwrite what the database import gave.
    if parsed.hat_tip:  # only when present: other rows keep the content hash they had
        values["hat_tip"] = parsed.hat_tip
    if parsed.venue:
        values["venue"] = parsed.venue
    if parsed.year:
        values["year"] = parsed.year
    values["content_hash"] = content_hash(values)
    return values


def apply_fields(summary: Summary, values: dict[str, Any]) -> bool:
    """Set `values` on `summary`; True when anything changed (then updated_at moves)."""
    changed = False
    for name, value in values.items():
        if getattr(summary, name) != value:
            setattr(summary, name, value)
            changed = True
    if changed:
        summary.updated_at = utcnow()
    return changed

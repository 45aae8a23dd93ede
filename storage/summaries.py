"""Summary rows: the dedupe key, the content hash, and conversion from parsed summaries."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from feeds.types import ParsedSummary
from storage.models import DiscordThread, Publication, Summary, utcnow
from storage.sql import table_of

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


@dataclass(frozen=True, slots=True)
class CrossRefTarget:
    """Where a cross reference to a summary can point: its thread (when posted), its paper."""

    thread_id: int | None
    guild_id: int | None
    link: str | None


def _cross_ref_stmt(keys: Sequence[str]) -> sa.Select[Any]:
    threads = table_of(DiscordThread)
    pubs = table_of(Publication)
    summaries = table_of(Summary)
    return (
        sa.select(summaries.c.dedupe_key, summaries.c.link, pubs.c.thread_id, threads.c.guild_id)
        .select_from(summaries)
        .outerjoin(
            pubs, sa.and_(pubs.c.summary_id == summaries.c.id, pubs.c.thread_id.is_not(None))
        )
        .outerjoin(threads, threads.c.id == pubs.c.thread_id)
        .where(summaries.c.dedupe_key.in_(list(keys)))
        .order_by(summaries.c.id.desc(), pubs.c.id)
    )


def _targets(keys: dict[str, str], rows: Sequence[Any]) -> dict[str, CrossRefTarget]:
    found: dict[str, CrossRefTarget] = {}
    for key, link, thread_id, guild_id in rows:
        title = keys[key]
        best = found.get(title)
        if best is None or (best.thread_id is None and thread_id is not None):
            found[title] = CrossRefTarget(
                thread_id, guild_id, link or (best.link if best is not None else None)
            )
    return found


def _title_keys(titles: Sequence[str]) -> dict[str, str]:
    return {dedupe_key(title): title.casefold() for title in titles if title.strip()}


async def cross_ref_targets(
    session: AsyncSession, titles: Sequence[str]
) -> dict[str, CrossRefTarget]:
    """Referenced title (casefolded) → the summary it names, by the title's dedupe key.

    A title naming several summaries (the feed and the database both hold it) takes the one
    with a posted thread, else the newest with a paper link.
    """
    keys = _title_keys(titles)
    if not keys:
        return {}
    rows = (await session.exec(_cross_ref_stmt(list(keys)))).all()  # type: ignore[call-overload]
    return _targets(keys, rows)


def cross_ref_targets_on(
    connection: sa.Connection, titles: Sequence[str]
) -> dict[str, CrossRefTarget]:
    """cross_ref_targets on a synchronous connection (inside a Database.run_sync unit)."""
    keys = _title_keys(titles)
    if not keys:
        return {}
    return _targets(keys, connection.execute(_cross_ref_stmt(list(keys))).all())

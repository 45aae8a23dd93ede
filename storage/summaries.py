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
    """Where a cross reference to a summary can point: its discussion (its own post's thread,
    or with `message_id` its message in its issue's thread), else its paper."""

    thread_id: int | None
    guild_id: int | None
    link: str | None
    message_id: int | None = None


# Each look-up below is written once, on a synchronous connection (its `_on` form, run inside a
# Database.run_sync unit by the commands), and awaited on an AsyncSession through run_sync.


def _discussions_on(
    connection: sa.Connection, summary_ids: Sequence[int]
) -> dict[int, tuple[int, int | None, int | None]]:
    """summary id → (thread, guild, message) where it is discussed: its own posted forum post
    (the publisher's or /an discuss's, the first), else its posted message in its issue's
    thread (thread mode: the thread is the issue's, so the message is what names it)."""
    if not summary_ids:
        return {}
    from storage.publications import DISCUSS, POSTED

    pubs = table_of(Publication)
    threads = table_of(DiscordThread)
    own = pubs.c.mode.in_(("forum", DISCUSS))  # a post of the summary's own
    stmt = (
        sa.select(
            pubs.c.summary_id,
            own.label("own"),
            pubs.c.thread_id,
            pubs.c.starter_message_id,
            threads.c.guild_id,
        )
        .select_from(pubs)
        .outerjoin(threads, threads.c.id == pubs.c.thread_id)
        .where(pubs.c.summary_id.in_(list(summary_ids)), pubs.c.thread_id.is_not(None))
        .where(pubs.c.status == POSTED)
        .order_by(pubs.c.id)
    )
    found: dict[int, tuple[int, int | None, int | None]] = {}
    best_own: set[int] = set()
    for summary_id, is_own, thread_id, message_id, guild_id in connection.execute(stmt):
        if summary_id in best_own or (summary_id in found and not is_own):
            continue
        found[summary_id] = (thread_id, guild_id, None if is_own else message_id)
        if is_own:
            best_own.add(summary_id)
    return found


def _target(link: str | None, where: tuple[int, int | None, int | None] | None) -> CrossRefTarget:
    if where is None:
        return CrossRefTarget(None, None, link)
    return CrossRefTarget(where[0], where[1], link, where[2])


def cross_ref_targets_on(
    connection: sa.Connection, titles: Sequence[str]
) -> dict[str, CrossRefTarget]:
    """Referenced title (casefolded) → the summary it names, by the title's dedupe key.

    A title naming several summaries (the feed and the database both hold it) takes the one
    that is discussed (`_discussions_on`), else the newest with a paper link.
    """
    keys = {dedupe_key(title): title.casefold() for title in titles if title.strip()}
    if not keys:
        return {}
    summaries = table_of(Summary)
    stmt = (
        sa.select(summaries.c.id, summaries.c.dedupe_key, summaries.c.link)
        .where(summaries.c.dedupe_key.in_(list(keys)))
        .order_by(summaries.c.id.desc())
    )
    rows = connection.execute(stmt).all()
    where = _discussions_on(connection, [row[0] for row in rows])
    found: dict[str, CrossRefTarget] = {}
    for summary_id, key, link in rows:
        title = keys[key]
        best = found.get(title)
        if best is None or (best.thread_id is None and summary_id in where):
            found[title] = _target(
                link or (best.link if best is not None else None), where.get(summary_id)
            )
    return found


async def cross_ref_targets(
    session: AsyncSession, titles: Sequence[str]
) -> dict[str, CrossRefTarget]:
    """cross_ref_targets_on in the session's transaction."""
    return await session.run_sync(lambda s: cross_ref_targets_on(s.connection(), titles))


def label_targets_on(
    connection: sa.Connection, labels: Sequence[str]
) -> dict[str, list[tuple[str, str | None, CrossRefTarget]]]:
    """Issue label ("AN #45") → that issue's summaries as (title, paper link, where discussed),
    in the issue's order: what an issue mention may name (feeds.crossref.named_summary)."""
    from storage.models import Issue

    if not labels:
        return {}
    summaries, issues = table_of(Summary), table_of(Issue)
    stmt = (
        sa.select(issues.c.label, summaries.c.id, summaries.c.title, summaries.c.link)
        .select_from(summaries)
        .join(issues, issues.c.id == summaries.c.issue_id)
        .where(issues.c.label.in_(list(dict.fromkeys(labels))))
        .order_by(summaries.c.position, summaries.c.id)
    )
    rows = connection.execute(stmt).all()
    where = _discussions_on(connection, [row[1] for row in rows])
    found: dict[str, list[tuple[str, str | None, CrossRefTarget]]] = {}
    for label, summary_id, title, link in rows:
        found.setdefault(label, []).append((title, link, _target(link, where.get(summary_id))))
    return found


async def label_targets(
    session: AsyncSession, labels: Sequence[str]
) -> dict[str, list[tuple[str, str | None, CrossRefTarget]]]:
    """label_targets_on in the session's transaction."""
    return await session.run_sync(lambda s: label_targets_on(s.connection(), labels))

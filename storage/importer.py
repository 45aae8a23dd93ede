"""Import the Alignment Newsletter summaries database (a CSV export of the spreadsheet).

Each row becomes a Summary (source="database") under the Issue named by its "Email" label.
Re-running is idempotent; rows the feed already stored (same issue number, same dedupe key)
are enriched with what only the database knows (venue, year, category), not duplicated.
"""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from feeds.newsletter import cross_references
from storage.db import Database
from storage.models import Issue, Summary, utcnow
from storage.summaries import apply_fields, content_hash, unique_keys

COLUMNS = (
    "Category",
    "Highlight?",
    "Title",
    "Authors",
    "Venue",
    "Year",
    "H/T",
    "Email",
    "Summarizer",
    "Summary",
    "My opinion",
    "Prerequisites",
    "Read more",
    "URL",
)
DEFAULT_OPINION_BY = "Rohin"  # the newsletter's editor writes the opinions without a summarizer
BATCH = 500
_AN_LABEL = re.compile(r"AN\s*#\s*(\d+)")

Progress = Callable[[int, int], None]  # (rows done, rows total)


class DatabaseFileError(ValueError):
    """The CSV cannot be read as a summaries database; the message says why."""


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    inserted: int = 0
    enriched: int = 0  # existing rows (feed or earlier import) that got new values
    unchanged: int = 0
    issues_created: int = 0


@dataclass(slots=True)
class _Row:
    label: str | None
    number: int | None
    values: dict[str, Any]


def read_database_csv(path: Path) -> list[_Row]:
    """Parse the CSV into rows (cells may hold newlines: the csv module handles them)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
            if missing:
                raise DatabaseFileError(
                    f"{path}: not a summaries database, missing columns {', '.join(missing)}"
                )
            return [_row(record) for record in reader if (record.get("Title") or "").strip()]
    except FileNotFoundError as exc:
        raise DatabaseFileError(f"{path}: no such file") from exc
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatabaseFileError(f"{path}: cannot read: {exc}") from exc


def _cell(record: dict[str, str | None], name: str) -> str | None:
    value = (record.get(name) or "").strip()
    return value or None


def _row(record: dict[str, str | None]) -> _Row:
    label = _cell(record, "Email")
    match = _AN_LABEL.fullmatch(label or "")
    summarizer = _cell(record, "Summarizer")
    opinion = _cell(record, "My opinion")
    values: dict[str, Any] = {
        "section": _cell(record, "Category") or "",
        "title": " ".join((record.get("Title") or "").split()),
        "link": _cell(record, "URL"),
        "authors": _cell(record, "Authors"),
        "venue": _cell(record, "Venue"),
        "year": _cell(record, "Year"),
        "summarizer": summarizer,
        "hat_tip": _cell(record, "H/T"),
        "summary": _cell(record, "Summary") or "",
        "opinions": [{"by": summarizer or DEFAULT_OPINION_BY, "text": opinion}] if opinion else [],
        "prerequisites": _cell(record, "Prerequisites"),
        "read_more": _cell(record, "Read more"),
        "highlight": (_cell(record, "Highlight?") or "").casefold() == "highlight",
    }
    values["cross_refs"] = cross_references(
        values["summary"], opinion, values["prerequisites"], values["read_more"]
    )
    values["content_hash"] = content_hash(values)
    return _Row(label=label, number=int(match.group(1)) if match else None, values=values)


def _enrichment(row: Summary, values: dict[str, Any]) -> dict[str, Any]:
    """For a feed row: only what the feed did not know."""
    extra = {}
    for name in ("venue", "year", "hat_tip"):
        if not getattr(row, name) and values.get(name):
            extra[name] = values[name]
    if not row.section and values["section"]:
        extra["section"] = values["section"]
    return extra


async def import_database(
    db: Database, path: Path, *, progress: Progress | None = None
) -> ImportReport:
    """Load the CSV at `path` into `db`; safe to run again."""
    rows = await asyncio.to_thread(read_database_csv, path)
    report = ImportReport(rows=len(rows))
    async with db.bulk_load(), db.session() as session, session.begin():
        issues = await _issues_for(session, rows, report)
        keys = _keys_per_issue(rows)
        existing = await _existing_summaries(session)
        pending: list[dict[str, Any]] = []
        positions: dict[int, int] = {}
        for done, (row, key) in enumerate(zip(rows, keys, strict=True), start=1):
            issue_id = issues[(row.label, row.number)]
            position = positions.get(issue_id, 0)
            positions[issue_id] = position + 1
            current = existing.get((issue_id, key))
            if current is None:
                pending.append(_new_summary(issue_id, key, position, row.values))
            else:
                values = row.values if current.source == "database" else None
                changes = values if values else _enrichment(current, row.values)
                if apply_fields(current, changes):
                    session.add(current)
                    report.enriched += 1
                else:
                    report.unchanged += 1
            if len(pending) >= BATCH:
                report.inserted += await _insert(session, pending)
            if progress is not None and (done % 50 == 0 or done == len(rows)):
                progress(done, len(rows))
        report.inserted += await _insert(session, pending)
    if report.inserted:
        await db.analyze()
    return report


def _keys_per_issue(rows: list[_Row]) -> list[str]:
    """Dedupe keys numbered within each issue, so a title repeated in one issue stays two rows."""
    by_issue: dict[tuple[str | None, int | None], list[int]] = {}
    for index, row in enumerate(rows):
        by_issue.setdefault((row.label, row.number), []).append(index)
    keys = [""] * len(rows)
    for indexes in by_issue.values():
        for index, key in zip(
            indexes, unique_keys([rows[i].values["title"] for i in indexes]), strict=True
        ):
            keys[index] = key
    return keys


async def _issues_for(
    session: AsyncSession, rows: list[_Row], report: ImportReport
) -> dict[tuple[str | None, int | None], int]:
    """Issue id for every (label, number) in the rows, creating database-only issues."""
    stored = list((await session.exec(select(Issue).order_by(col(Issue.id)))).all())
    by_number: dict[int, Issue] = {}
    by_label: dict[str | None, Issue] = {}
    for issue in sorted(stored, key=lambda i: i.feed_id is None):  # feed issues first
        if issue.number is not None:
            by_number.setdefault(issue.number, issue)
        if issue.layout == "database":
            by_label.setdefault(issue.label, issue)
    out: dict[tuple[str | None, int | None], Issue] = {}
    for label, number in dict.fromkeys((r.label, r.number) for r in rows):
        found = by_number.get(number) if number is not None else by_label.get(label)
        issue = found or Issue(
            number=number,
            label=label,
            title=label or "Summaries without an issue",
            layout="database",
            publish=False,
        )
        if found is None:
            session.add(issue)
            report.issues_created += 1
            by_label[label] = issue
            if number is not None:
                by_number[number] = issue
        out[(label, number)] = issue
    await session.flush()
    ids = {}
    for key, issue in out.items():
        assert issue.id is not None  # flushed
        ids[key] = issue.id
    return ids


async def _existing_summaries(session: AsyncSession) -> dict[tuple[int, str], Summary]:
    rows = (await session.exec(select(Summary))).all()
    return {(row.issue_id or 0, row.dedupe_key): row for row in rows}


def _new_summary(issue_id: int, key: str, position: int, values: dict[str, Any]) -> dict[str, Any]:
    return {
        "issue_id": issue_id,
        "dedupe_key": key,
        "position": position,
        "source": "database",
        "updated_at": utcnow(),
        **values,
    }


async def _insert(session: AsyncSession, pending: list[dict[str, Any]]) -> int:
    """One multi-row INSERT for the batch (the search triggers/columns fill themselves)."""
    if not pending:
        return 0
    count = len(pending)
    conn = await session.connection()
    await conn.execute(sa.insert(Summary), list(pending))
    pending.clear()
    return count

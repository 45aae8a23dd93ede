"""Import the Alignment Newsletter summaries database (a CSV export of the spreadsheet).

Each row becomes a Summary (source="database") under the Issue named by its "Email" label.
Re-running is idempotent; rows the feed already stored (same issue number, same dedupe key)
are enriched with what only the database knows (venue, year, category), not duplicated.
"""

from __future__ import annotations

import asyncio
import csv
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from feeds.issue import cross_references
from feeds.issue_numbers import IssueNumberError, parse_issue_number
from storage.db import Database, retry_locked
from storage.models import Issue, Summary, utcnow
from storage.summaries import content_hash, unique_keys
from storage.text import clean

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
BATCH = 200  # rows per transaction: well under a second of SQLite's write lock
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
    """Parse the CSV into rows (cells may hold newlines: the csv module handles them).

    The whole file is read and checked before anything is written, so a damaged one is refused
    whole: strict quoting (a quote left open by a cut file is an error, not a cell running to
    the end) and every row exactly as many cells as the header (a row cut short is an error,
    not a summary without its opinion and link). The message names the line."""
    reader: Any = None
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle, strict=True)
            header: list[str] = next(reader, [])
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise DatabaseFileError(
                    f"{path}: not a summaries database, missing columns {', '.join(missing)}"
                )
            rows = []
            for cells in reader:
                if not cells:
                    continue  # a blank line
                if len(cells) != len(header):
                    raise DatabaseFileError(
                        f"{path}: line {reader.line_num}: {len(cells)} cells where the header "
                        f"has {len(header)}; the file is damaged or cut, nothing imported"
                    )
                record = dict(zip(header, cells, strict=True))
                if (record.get("Title") or "").strip():
                    rows.append(_row(clean(record), path, reader.line_num))
            return rows
    except FileNotFoundError as exc:
        raise DatabaseFileError(f"{path}: no such file") from exc
    except csv.Error as exc:
        line = f"line {reader.line_num}: " if reader is not None else ""
        raise DatabaseFileError(
            f"{path}: {line}{exc}; the file is damaged or cut, nothing imported"
        ) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise DatabaseFileError(f"{path}: cannot read: {exc}") from exc


def _cell(record: dict[str, str | None], name: str) -> str | None:
    value = (record.get(name) or "").strip()
    return value or None


def _row(record: dict[str, str | None], path: Path, line: int) -> _Row:
    label = _cell(record, "Email")
    number = None
    if _AN_LABEL.fullmatch(label or ""):
        try:
            number = parse_issue_number(label or "")
        except IssueNumberError as exc:
            raise DatabaseFileError(f"{path}: line {line}: {exc}; nothing imported") from None
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
    return _Row(label=label, number=number, values=values)


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
    """Load the CSV at `path` into `db`; safe to run again, and to run twice at once.

    The file is read and checked whole first (a damaged one writes nothing). Then the writes go
    in transactions of BATCH rows, so the import never holds SQLite's write lock for more than
    a fraction of a second (the bot's mirror writes in between), each tried again while another
    process holds the lock. Two imports at once cannot duplicate anything: an imported issue is
    unique by label and a summary by (issue, dedupe key) in the database, and both are inserted
    with ON CONFLICT DO NOTHING. On PostgreSQL concurrent imports also queue on an advisory lock,
    so the second one finds everything the first stored.
    """
    rows = await asyncio.to_thread(read_database_csv, path)
    report = ImportReport(rows=len(rows))
    keys = _keys_per_issue(rows)
    async with db.bulk_load(), _import_lock(db):

        async def issues_work() -> tuple[dict[tuple[str | None, int | None], int], int]:
            async with db.session() as session, session.begin():
                return await _issues_for(session, rows)

        issues, report.issues_created = await retry_locked(issues_work, what=f"importing {path}")
        async with db.session() as session:
            existing = await _existing_summaries(session)
        plan = _plan(rows, keys, issues, existing)
        for start in range(0, len(plan), BATCH):
            chunk = plan[start : start + BATCH]

            async def batch_work(chunk: list[_Step] = chunk) -> tuple[int, int, int]:
                async with db.connect() as conn:
                    return await _write(conn, chunk)

            inserted, enriched, unchanged = await retry_locked(batch_work, what=f"importing {path}")
            report.inserted += inserted
            report.enriched += enriched
            report.unchanged += unchanged
            if progress is not None:
                progress(start + len(chunk), len(rows))
    if report.inserted:
        await db.analyze()
    return report


# Two-int advisory lock key of `anbot import-database` (the schema is the second int).
_IMPORT_LOCK = 0x616E_0002


@asynccontextmanager
async def _import_lock(db: Database) -> AsyncIterator[None]:
    """PostgreSQL: hold a session advisory lock for the whole import (a second import waits
    for the first). SQLite: nothing more than its write lock per batch and the constraints."""
    if db.dialect != "postgresql":
        yield
        return
    async with db.engine.connect() as conn:
        key = sa.text("SELECT pg_advisory_lock(:k, hashtext(current_schema()))")
        await conn.execute(key, {"k": _IMPORT_LOCK})
        await conn.commit()
        try:
            yield
        finally:
            unlock = sa.text("SELECT pg_advisory_unlock(:k, hashtext(current_schema()))")
            await conn.execute(unlock, {"k": _IMPORT_LOCK})
            await conn.commit()


@dataclass(slots=True)
class _Step:
    insert: dict[str, Any] | None = None  # a new row's values
    update_id: int | None = None  # an existing row to update with `changes`
    changes: dict[str, Any] | None = None


def _plan(
    rows: list[_Row],
    keys: list[str],
    issues: dict[tuple[str | None, int | None], int],
    existing: dict[tuple[int, str], Summary],
) -> list[_Step]:
    """What each row does (insert, update, nothing), decided in memory before any write."""
    steps: list[_Step] = []
    positions: dict[int, int] = {}
    for row, key in zip(rows, keys, strict=True):
        issue_id = issues[(row.label, row.number)]
        position = positions.get(issue_id, 0)
        positions[issue_id] = position + 1
        current = existing.get((issue_id, key))
        if current is None:
            steps.append(_Step(insert=_new_summary(issue_id, key, position, row.values)))
            continue
        wanted = row.values if current.source == "database" else _enrichment(current, row.values)
        changes = {k: v for k, v in wanted.items() if getattr(current, k) != v}
        steps.append(_Step(update_id=current.id, changes=changes) if changes else _Step())
    return steps


async def _write(conn: AsyncConnection, steps: list[_Step]) -> tuple[int, int, int]:
    """One batch: (inserted, enriched, unchanged). A row another import stored meanwhile is
    left alone (ON CONFLICT DO NOTHING), so it is not counted as inserted."""
    pending = [s.insert for s in steps if s.insert is not None]
    inserted = 0
    if pending:
        insert = (postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert)(
            Summary
        )
        result = await conn.execute(
            insert.on_conflict_do_nothing().returning(col(Summary.id)), pending
        )
        inserted = len(result.all())
    enriched = unchanged = 0
    for step in steps:
        if step.update_id is not None and step.changes:
            await conn.execute(
                sa.update(Summary)
                .where(col(Summary.id) == step.update_id)
                .values(**step.changes, updated_at=utcnow())
            )
            enriched += 1
        elif step.insert is None:
            unchanged += 1
    return inserted, enriched, unchanged


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
    session: AsyncSession, rows: list[_Row]
) -> tuple[dict[tuple[str | None, int | None], int], int]:
    """Issue id for every (label, number) in the rows, creating database-only issues; and how
    many were created. An issue is inserted with ON CONFLICT DO NOTHING (unique by label, see
    migration 0007) and read back, so one another import created meanwhile is adopted."""
    stored = list((await session.exec(select(Issue).order_by(col(Issue.id)))).all())
    by_number: dict[int, int] = {}
    by_label: dict[str | None, int] = {}
    for issue in sorted(stored, key=lambda i: i.feed_id is None):  # feed issues first
        assert issue.id is not None
        if issue.number is not None:
            by_number.setdefault(issue.number, issue.id)
        if issue.feed_id is None:
            by_label.setdefault(issue.label, issue.id)
    conn = await session.connection()
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    out: dict[tuple[str | None, int | None], int] = {}
    created = 0
    for label, number in dict.fromkeys((r.label, r.number) for r in rows):
        found = by_number.get(number) if number is not None else None
        found = found if found is not None else by_label.get(label)
        if found is None:
            values = Issue(
                number=number,
                label=label,
                title=label or "Summaries without an issue",
                layout="database",
                publish=False,
            ).model_dump(exclude={"id"})
            result = await conn.execute(
                insert(Issue).values(**values).on_conflict_do_nothing().returning(col(Issue.id))
            )
            new_id: int | None = result.scalar()
            if new_id is None:  # another import created it: read it back
                query = select(col(Issue.id)).where(
                    col(Issue.feed_id).is_(None),
                    sa.func.coalesce(col(Issue.label), "") == (label or ""),
                )
                new_id = (await session.exec(query)).one()
            else:
                created += 1
            assert new_id is not None
            found = by_label[label] = new_id
            if number is not None:
                by_number[number] = new_id
        out[(label, number)] = found
    return out, created


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

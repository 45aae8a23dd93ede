"""Issues and their summaries: idempotent saving of parsed feed entries, and look-ups.

Functions flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from feeds.types import FeedItem, ParsedIssue
from storage import lookups
from storage.models import Issue, Summary, utcnow
from storage.sql import load_models, load_models_on, run, table_of
from storage.summaries import apply_fields, fields_from_parsed, unique_keys
from storage.text import clean

ChangeKind = Literal["new", "updated", "unchanged"]
T = TypeVar("T")


@dataclass(slots=True)
class IssueChange:
    """What saving one feed entry did."""

    issue: Issue
    kind: ChangeKind
    summaries: list[Summary]  # all summaries of the issue, in order
    changed: list[Summary] = field(default_factory=list)  # new or edited by this save

    @property
    def is_new(self) -> bool:
        return self.kind == "new"

    @property
    def is_updated(self) -> bool:
        return self.kind == "updated"


def entry_hash(item: FeedItem) -> str:
    """Hash of what the entry says: a different hash for the same entry id is an update."""
    blob = "\x1f".join((item.title, item.link or "", item.content_html))
    return hashlib.sha256(blob.encode()).hexdigest()


async def upsert_issue(
    session: AsyncSession, *, feed_id: int, item: FeedItem, parsed: ParsedIssue, publish: bool
) -> IssueChange:
    """Save one feed entry and its summaries (upsert_issues of one entry)."""
    (change,) = await upsert_issues(session, feed_id=feed_id, entries=[(item, parsed, publish)])
    return change


Entry = tuple[FeedItem, ParsedIssue, bool]  # (item, its parse, publish if new)


async def upsert_issues(
    session: AsyncSession, *, feed_id: int, entries: Sequence[Entry]
) -> list[IssueChange]:
    """Save feed entries and their summaries; for each, whether it was new, updated or
    unchanged (in the order given).

    `publish` only applies to a new issue: an update never changes whether it is published.
    A database-only issue with the same number (from import-database) is adopted, and its
    summaries matched by dedupe key, so nothing is duplicated.

    Set-based: a few statements whatever the number of entries (their issues found in one
    query, inserted in one multi-row INSERT, their summaries likewise), so a 10k-entry feed
    costs a few hundred round trips, not tens of thousands. An entry id given twice is saved
    twice in order, the second seeing the first (as a feed listing one entry twice would).
    """
    # Cleaned as they enter storage (storage.text): what is looked up, hashed and stored is
    # the same text on both backends (PostgreSQL refuses a NUL even in a WHERE).
    entries = [(clean(item), parsed, publish) for item, parsed, publish in entries]
    changes: list[IssueChange] = []
    start = 0
    while start < len(entries):
        end, seen = start, set()
        while end < len(entries) and entries[end][0].entry_id not in seen:
            seen.add(entries[end][0].entry_id)
            end += 1
        changes += await _upsert_distinct(session, feed_id, entries[start:end])
        start = end
    return changes


async def _upsert_distinct(
    session: AsyncSession, feed_id: int, entries: Sequence[Entry]
) -> list[IssueChange]:
    """upsert_issues of entries whose ids are distinct."""
    digests = [entry_hash(item) for item, _, _ in entries]
    found = await _find_entries(session, feed_id, [item.entry_id for item, _, _ in entries])
    numbers = {
        parsed.number
        for item, parsed, _ in entries
        if parsed.number is not None and item.entry_id not in found
    }
    adoptable = await _database_issues(session, numbers)
    summary_ids = [i.id for i in found.values()]
    summary_ids += [i.id for same in adoptable.values() for i in same]
    existing = await _summaries_by_issue(session, [i for i in summary_ids if i is not None])
    changes: list[IssueChange | None] = []
    saved: list[tuple[int, ParsedIssue]] = []  # index in changes, what to save through the ORM
    fresh: list[tuple[int, Entry, str]] = []  # index, entry, digest: new rows, nothing to adopt
    for entry, digest in zip(entries, digests, strict=True):
        item, parsed, publish = entry
        issue = found.get(item.entry_id)
        if issue is not None and issue.content_hash == digest:
            changes.append(IssueChange(issue, "unchanged", existing.get(issue.id or 0, [])))
            continue
        kind: ChangeKind = "updated" if issue is not None else "new"
        if issue is None:
            same_number = adoptable.get(parsed.number) if parsed.number is not None else None
            if not same_number:
                fresh.append((len(changes), entry, digest))
                changes.append(None)
                continue
            issue = same_number.pop(0)
            issue.publish = publish
        for name, value in _entry_values(feed_id, item, parsed, digest, issue).items():
            setattr(issue, name, value)
        session.add(issue)
        saved.append((len(changes), parsed))
        changes.append(IssueChange(issue, kind, []))
    if saved:
        await session.flush()
        for index, parsed in saved:
            change = changes[index]
            assert change is not None and change.issue.id is not None
            rows = {s.dedupe_key: s for s in existing.get(change.issue.id, [])}
            change.summaries, change.changed = _plan_summaries(
                session, change.issue.id, parsed, rows
            )
        await session.flush()
    if fresh:
        inserted = await _insert_fresh(session, feed_id, fresh)
        for (index, _, _), change in zip(fresh, inserted, strict=True):
            changes[index] = change
    return [c for c in changes if c is not None]


def _entry_values(
    feed_id: int, item: FeedItem, parsed: ParsedIssue, digest: str, old: Issue | None
) -> dict[str, Any]:
    """The columns a feed entry sets on its issue (`old`: the row it updates, if any)."""
    return {
        "feed_id": feed_id,
        "entry_id": item.entry_id,
        "number": parsed.number if parsed.number is not None else old and old.number,
        "label": parsed.label or (old and old.label),
        "title": item.title or parsed.title,
        "link": item.link or parsed.link,
        "published_at": item.published or (old and old.published_at),
        "updated_at": item.updated or utcnow(),
        "content_hash": digest,
        "layout": parsed.layout,
        "intro": parsed.notes,
    }


# Summary columns fields_from_parsed sets only when the feed knows them.
_SUMMARY_OPTIONAL = {"hat_tip": None, "venue": None, "year": None}


async def _insert_fresh(
    session: AsyncSession, feed_id: int, fresh: Sequence[tuple[int, Entry, str]]
) -> list[IssueChange]:
    """New issues and their summaries in two multi-row INSERTs (the ORM inserts rows one by one
    on SQLite: it cannot match the ids RETURNING gives to its objects), then read back."""
    now = utcnow()
    issue_rows = [
        {
            **_entry_values(feed_id, item, parsed, digest, None),
            "publish": publish,
            "created_at": now,
        }
        for _, (item, parsed, publish), digest in fresh
    ]
    table = table_of(Issue)
    inserted = await run(
        session, sa.insert(table).returning(table.c.id, table.c.entry_id), clean(issue_rows)
    )
    ids: dict[str, int] = {row.entry_id: row.id for row in inserted.all()}
    summary_rows = []
    for _, (item, parsed, _), _ in fresh:
        keys = unique_keys([p.title for p in parsed.summaries])
        for position, (key, summary) in enumerate(zip(keys, parsed.summaries, strict=True)):
            summary_rows.append(
                {
                    **_SUMMARY_OPTIONAL,
                    **fields_from_parsed(summary),
                    "issue_id": ids[item.entry_id],
                    "position": position,
                    "dedupe_key": key,
                    "source": "feed",
                    "updated_at": now,
                }
            )
    if summary_rows:
        await run(session, sa.insert(table_of(Summary)), clean(summary_rows))
    issues: dict[int | None, Issue] = {}
    for chunk in _chunks(list(ids.values())):
        query = select(Issue).where(col(Issue.id).in_(chunk))
        issues.update((i.id, i) for i in (await session.exec(query)).all())
    summaries = await _summaries_by_issue(session, list(ids.values()))
    changes = []
    for _, (item, _, _), _ in fresh:
        issue = issues[ids[item.entry_id]]
        rows = summaries.get(issue.id or 0, [])
        changes.append(IssueChange(issue, "new", rows, list(rows)))
    return changes


# Ids per IN (...) list: under SQLite's and asyncpg's limits on parameters per statement.
_IN_CHUNK = 500


def _chunks(values: Sequence[T], size: int = _IN_CHUNK) -> list[Sequence[T]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


async def _find_entries(
    session: AsyncSession, feed_id: int, entry_ids: Sequence[str]
) -> dict[str, Issue]:
    found: dict[str, Issue] = {}
    for chunk in _chunks(entry_ids):
        query = select(Issue).where(Issue.feed_id == feed_id, col(Issue.entry_id).in_(chunk))
        found.update((i.entry_id or "", i) for i in (await session.exec(query)).all())
    return found


async def _database_issues(session: AsyncSession, numbers: set[int]) -> dict[int, list[Issue]]:
    """Database-only issues by number (oldest first): the ones a new feed entry adopts."""
    adoptable: dict[int, list[Issue]] = {}
    for chunk in _chunks(sorted(numbers)):
        query = select(Issue).where(
            col(Issue.number).in_(chunk), col(Issue.feed_id).is_(None), Issue.layout == "database"
        )
        for issue in (await session.exec(query.order_by(col(Issue.id)))).all():
            adoptable.setdefault(issue.number or 0, []).append(issue)
    return adoptable


async def _summaries_by_issue(
    session: AsyncSession, issue_ids: Sequence[int]
) -> dict[int, list[Summary]]:
    """Summaries of these issues, each issue's in order."""
    found: dict[int, list[Summary]] = {}
    for chunk in _chunks(issue_ids):
        query = (
            select(Summary)
            .where(col(Summary.issue_id).in_(chunk))
            .order_by(col(Summary.issue_id), col(Summary.position), col(Summary.id))
        )
        for summary in (await session.exec(query)).all():
            found.setdefault(summary.issue_id or 0, []).append(summary)
    return found


def _plan_summaries(
    session: AsyncSession, issue_id: int, parsed: ParsedIssue, existing: dict[str, Summary]
) -> tuple[list[Summary], list[Summary]]:
    """Add or update the issue's summaries in the session (flushed by the caller); returns
    all of them in order and those new or edited."""
    keys = unique_keys([p.title for p in parsed.summaries])
    changed: list[Summary] = []
    for position, (key, parsed_summary) in enumerate(zip(keys, parsed.summaries, strict=True)):
        values = fields_from_parsed(parsed_summary)
        values["position"] = position
        row = existing.get(key)
        if row is None:
            row = Summary(issue_id=issue_id, dedupe_key=key, source="feed", **values)
            existing[key] = row
            session.add(row)
            changed.append(row)
        elif apply_fields(row, values):
            session.add(row)
            changed.append(row)
    # Summaries that left the entry stay (they may have threads), after the current ones.
    current = set(keys)
    ordered = sorted(existing.values(), key=lambda s: (s.dedupe_key not in current, s.position))
    return ordered, changed


async def get_issue(session: AsyncSession, issue_id: int) -> Issue | None:
    return await session.get(Issue, issue_id)


# The look-ups below are storage.lookups' statements (each written once), loaded as models: by
# an async function on an AsyncSession, and by its `_on` twin on a synchronous Session inside a
# Database.run_sync unit (on SQLite one worker-thread hop for a whole command's reads instead of
# several per statement).


async def get_issue_by_number(session: AsyncSession, number: int) -> Issue | None:
    """The issue with this number; a feed entry wins over a database-only issue."""
    found = await load_models(session, Issue, lookups.issue_by_number(number))
    return found[0] if found else None


def get_issue_by_number_on(session: Session, number: int) -> Issue | None:
    found = load_models_on(session, Issue, lookups.issue_by_number(number))
    return found[0] if found else None


async def issue_number_range(session: AsyncSession) -> tuple[int, int] | None:
    """(lowest, highest) issue number stored, or None when no issue has a number."""
    return lookups.number_span((await run(session, lookups.NUMBER_RANGE)).one())


def issue_number_range_on(session: Session) -> tuple[int, int] | None:
    return lookups.number_span(session.connection().execute(lookups.NUMBER_RANGE).one())


async def latest_issues(session: AsyncSession, limit: int = 10) -> list[Issue]:
    """Newest first: by number, then publication date."""
    return await load_models(session, Issue, lookups.latest_issues(limit))


def latest_issues_on(session: Session, limit: int = 10) -> list[Issue]:
    return load_models_on(session, Issue, lookups.latest_issues(limit))


async def summaries_of(session: AsyncSession, issue_id: int) -> list[Summary]:
    return await load_models(session, Summary, lookups.summaries_of(issue_id))


def summaries_of_on(session: Session, issue_id: int) -> list[Summary]:
    return load_models_on(session, Summary, lookups.summaries_of(issue_id))


def summary_counts_on(session: Session, issue_ids: list[int]) -> dict[int, int]:
    """issue id → how many summaries it holds (issues without any are left out)."""
    query = (
        select(col(Summary.issue_id), sa.func.count())
        .where(col(Summary.issue_id).in_(issue_ids))
        .group_by(col(Summary.issue_id))
    )
    return {int(issue_id): int(count) for issue_id, count in session.exec(query) if issue_id}


def _by_title(title_prefix: str, limit: int) -> SelectOfScalar[Summary]:
    text = " ".join(title_prefix.split())
    if not text:
        return select(Summary).order_by(col(Summary.id).desc()).limit(limit)
    starts = col(Summary.title).istartswith(text, autoescape=True)
    return (
        select(Summary)
        .where(col(Summary.title).icontains(text, autoescape=True))
        .order_by(sa.case((starts, 0), else_=1), col(Summary.title), col(Summary.id))
        .limit(limit)
    )


async def find_summary_by_title(
    session: AsyncSession, title_prefix: str, limit: int = 25
) -> list[Summary]:
    """Summaries whose title starts with (then contains) the text: for autocomplete."""
    return list((await session.exec(_by_title(title_prefix, limit))).all())


def find_summary_by_title_on(session: Session, title_prefix: str, limit: int = 25) -> list[Summary]:
    return list(session.exec(_by_title(title_prefix, limit)).all())

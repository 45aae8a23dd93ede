"""Issues and their summaries: idempotent saving of parsed feed entries, and look-ups.

Functions flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Literal

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from feeds.types import FeedItem, ParsedIssue
from storage.models import Issue, Summary, utcnow
from storage.summaries import apply_fields, fields_from_parsed, unique_keys

ChangeKind = Literal["new", "updated", "unchanged"]


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
    """Save one feed entry and its summaries; returns whether it was new, updated or unchanged.

    `publish` only applies to a new issue: an update never changes whether it is published.
    A database-only issue with the same number (from import-database) is adopted, and its
    summaries matched by dedupe key, so nothing is duplicated.
    """
    digest = entry_hash(item)
    issue = await _find_entry(session, feed_id=feed_id, entry_id=item.entry_id)
    kind: ChangeKind
    if issue is not None and issue.content_hash == digest:
        return IssueChange(issue, "unchanged", await summaries_of(session, issue.id or 0))
    if issue is None:
        issue = await _database_issue(session, parsed.number) or Issue(publish=publish)
        issue.publish = publish
        kind = "new"
    else:
        kind = "updated"
    issue.feed_id = feed_id
    issue.entry_id = item.entry_id
    issue.number = parsed.number if parsed.number is not None else issue.number
    issue.label = parsed.label or issue.label
    issue.title = item.title or parsed.title
    issue.link = item.link or parsed.link
    issue.published_at = item.published or issue.published_at
    issue.updated_at = item.updated or utcnow()
    issue.content_hash = digest
    issue.layout = parsed.layout
    issue.intro = parsed.notes
    session.add(issue)
    await session.flush()
    assert issue.id is not None
    summaries, changed = await _save_summaries(session, issue.id, parsed)
    return IssueChange(issue, kind, summaries, changed)


async def _find_entry(session: AsyncSession, *, feed_id: int, entry_id: str) -> Issue | None:
    query = select(Issue).where(Issue.feed_id == feed_id, Issue.entry_id == entry_id)
    return (await session.exec(query)).first()


async def _database_issue(session: AsyncSession, number: int | None) -> Issue | None:
    if number is None:
        return None
    query = select(Issue).where(
        Issue.number == number, col(Issue.feed_id).is_(None), Issue.layout == "database"
    )
    return (await session.exec(query.order_by(col(Issue.id)))).first()


async def _save_summaries(
    session: AsyncSession, issue_id: int, parsed: ParsedIssue
) -> tuple[list[Summary], list[Summary]]:
    existing = {s.dedupe_key: s for s in await summaries_of(session, issue_id)}
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
    await session.flush()
    # Summaries that left the entry stay (they may have threads), after the current ones.
    ordered = sorted(existing.values(), key=lambda s: (s.dedupe_key not in keys, s.position))
    return ordered, changed


async def get_issue(session: AsyncSession, issue_id: int) -> Issue | None:
    return await session.get(Issue, issue_id)


# Each read below is one query built once, run by an async function on an AsyncSession and by
# its `_on` twin on a synchronous Session (inside a Database.run_sync unit: on SQLite one
# worker-thread hop for a whole command's reads instead of several per statement).


def _issue_by_number(number: int) -> SelectOfScalar[Issue]:
    return (
        select(Issue)
        .where(Issue.number == number)
        .order_by(col(Issue.feed_id).is_(None), col(Issue.id))
    )


async def get_issue_by_number(session: AsyncSession, number: int) -> Issue | None:
    """The issue with this number; a feed entry wins over a database-only issue."""
    return (await session.exec(_issue_by_number(number))).first()


def get_issue_by_number_on(session: Session, number: int) -> Issue | None:
    return session.exec(_issue_by_number(number)).first()


_NUMBER_RANGE = select(sa.func.min(Issue.number), sa.func.max(Issue.number))


def _number_range(row: tuple[int | None, int | None]) -> tuple[int, int] | None:
    low, high = row
    if low is None or high is None:
        return None
    return int(low), int(high)


async def issue_number_range(session: AsyncSession) -> tuple[int, int] | None:
    """(lowest, highest) issue number stored, or None when no issue has a number."""
    return _number_range((await session.exec(_NUMBER_RANGE)).one())


def issue_number_range_on(session: Session) -> tuple[int, int] | None:
    return _number_range(session.exec(_NUMBER_RANGE).one())


def _latest(limit: int) -> SelectOfScalar[Issue]:
    return (
        select(Issue)
        .order_by(
            col(Issue.number).desc().nulls_last(),
            col(Issue.published_at).desc().nulls_last(),
            col(Issue.id).desc(),
        )
        .limit(limit)
    )


async def latest_issues(session: AsyncSession, limit: int = 10) -> list[Issue]:
    """Newest first: by number, then publication date."""
    return list((await session.exec(_latest(limit))).all())


def latest_issues_on(session: Session, limit: int = 10) -> list[Issue]:
    return list(session.exec(_latest(limit)).all())


def _summaries_of(issue_id: int) -> SelectOfScalar[Summary]:
    return (
        select(Summary)
        .where(Summary.issue_id == issue_id)
        .order_by(col(Summary.position), col(Summary.id))
    )


async def summaries_of(session: AsyncSession, issue_id: int) -> list[Summary]:
    return list((await session.exec(_summaries_of(issue_id))).all())


def summaries_of_on(session: Session, issue_id: int) -> list[Summary]:
    return list(session.exec(_summaries_of(issue_id)).all())


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

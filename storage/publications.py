"""The publication outbox: which summary goes to which channel, and how far it got.

A row moves pending → posting → posted (or failed). `posting` is written and committed before
the Discord call, with the hash of the exact starter text and the time the attempt started
(`start_post`), so a row found in `posting` by a fresh leader means "the call may have
happened": the publisher looks on Discord for its own post made since then whose starter has
that hash (or, for posts made before migration 0008, the row's marker) before posting again.

Modes: "forum" — one post per summary (or per issue when it has no summaries); "thread" — one
row for the issue (the thread) plus one row per summary (a message in that thread), the
summary rows becoming claimable once the issue row knows its thread.

Functions take the session keyword-style and never commit: the caller owns the transaction.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from feeds.filters import RouteFilter
from storage.models import Feed, FeedRoute, Issue, Publication, Summary, utcnow
from storage.sql import dialect_insert, table_of

PENDING, POSTING, POSTED, FAILED = "pending", "posting", "posted", "failed"
FILTERED = "filtered"  # a route's filter refused the entry: never posted to that channel
MODES = ("forum", "thread")


def marker_for(*, channel_id: int, issue_id: int, summary_id: int | None) -> str:
    """Deterministic per target, so the unique marker column also makes enqueueing idempotent."""
    return f"anbot:pub:{channel_id}.{issue_id}.{summary_id if summary_id is not None else 0}"


@dataclass(frozen=True, slots=True)
class Target:
    """A publication with the rows it renders."""

    publication: Publication
    issue: Issue
    summary: Summary | None


def _insert_ignore(session: AsyncSession, rows: list[dict[str, object]]) -> UpdateBase:
    insert: UpdateBase = (
        dialect_insert(session, table_of(Publication)).values(rows).on_conflict_do_nothing()
    )
    return insert


async def enqueue_pending(
    session: AsyncSession, *, channels: Sequence[tuple[int, str]], limit_issues: int = 500
) -> int:
    """Create the missing rows for every publishable issue and its channels; returns how many.

    A feed with routes (storage.feeds: `feed_route`) goes to its routes' channels, each with its
    mode and filters: an entry a route's filter refuses gets a `filtered` row, so it is decided
    once. A feed without routes (a file read by `anbot ingest --publish`) goes to `channels`.
    A removed feed publishes nothing.

    Publishable: the issue came from a feed and `publish` is set (a feed's first poll records
    old entries with publish=False). Idempotent: existing rows are left alone, and a summary
    added to an issue later gets its own row.
    """
    created = 0
    routed = sa.select(FeedRoute.feed_id)  # type: ignore[call-overload]
    live = sa.select(Feed.id).where(col(Feed.removed).is_(False))  # type: ignore[call-overload]
    unrouted = sa.and_(col(Issue.feed_id).in_(live), col(Issue.feed_id).not_in(routed))
    for channel_id, mode in channels:
        created += await _enqueue_channel(
            session, channel_id, mode, unrouted, RouteFilter(), limit_issues
        )
    routes = (
        await session.exec(
            select(FeedRoute)
            .join(Feed, col(Feed.id) == col(FeedRoute.feed_id))
            .where(col(Feed.removed).is_(False))
            .order_by(col(FeedRoute.id))
        )
    ).all()
    for route in routes:
        created += await _enqueue_channel(
            session,
            route.channel_id,
            route.mode,
            col(Issue.feed_id) == route.feed_id,
            route_filter(route),
            limit_issues,
        )
    return created


def route_filter(route: FeedRoute) -> RouteFilter:
    return RouteFilter(
        include_sections=tuple(route.include_sections),
        exclude_sections=tuple(route.exclude_sections),
        include_words=tuple(route.include_words),
        exclude_words=tuple(route.exclude_words),
    )


async def _enqueue_channel(
    session: AsyncSession,
    channel_id: int,
    mode: str,
    feeds: sa.ColumnElement[bool],
    flt: RouteFilter,
    limit_issues: int,
) -> int:
    if mode not in MODES:
        raise ValueError(f"unknown publish mode {mode!r} for channel {channel_id}")
    summary_missing = (
        select(Summary)
        .join(Issue, col(Issue.id) == col(Summary.issue_id))
        .where(col(Issue.publish).is_(True), col(Issue.feed_id).is_not(None), feeds)
        .where(
            ~sa.exists().where(
                col(Publication.channel_id) == channel_id,
                col(Publication.summary_id) == col(Summary.id),
            )
        )
        .order_by(col(Issue.published_at), col(Issue.id), col(Summary.position), col(Summary.id))
        .limit(limit_issues * 50)
    )
    found = (await session.exec(summary_missing)).all()
    pairs: list[tuple[int, int, bool]] = [
        (
            int(s.id or 0),
            int(s.issue_id or 0),
            flt.accepts(section=s.section, title=s.title, text=s.summary),
        )
        for s in found
    ]
    issue_ids = list(dict.fromkeys(iid for _, iid, ok in pairs if ok))
    rows: list[dict[str, object]] = []
    # Thread mode: the issue's own row first (lower id: claimed first).
    issue_level = issue_ids if mode == "thread" else []
    for issue_id in issue_level:
        rows.append(_row(channel_id, mode, issue_id, None))
    for issue_id, title in await _issues_without_rows(session, channel_id=channel_id, feeds=feeds):
        if issue_id not in issue_level:
            ok = flt.accepts(section="", title=title)
            rows.append(_row(channel_id, mode, issue_id, None, PENDING if ok else FILTERED))
    rows.extend(
        _row(channel_id, mode, iid, sid, PENDING if ok else FILTERED) for sid, iid, ok in pairs
    )
    created = 0
    for start in range(0, len(rows), 500):  # stay under SQLite's bound-parameter cap
        result = await session.exec(_insert_ignore(session, rows[start : start + 500]))
        created += max(getattr(result, "rowcount", 0) or 0, 0)
    if rows and mode == "thread":
        await _adopt_issue_threads(session, channel_id=channel_id)
    return created


async def _adopt_issue_threads(session: AsyncSession, *, channel_id: int) -> None:
    """A summary added to an already posted thread-mode issue goes into that issue's thread."""
    issue_row = table_of(Publication).alias("issue_row")
    thread_of_issue = (
        select(issue_row.c.thread_id)
        .where(
            issue_row.c.channel_id == channel_id,
            issue_row.c.issue_id == col(Publication.issue_id),
            issue_row.c.summary_id.is_(None),
            issue_row.c.status == POSTED,
        )
        .scalar_subquery()
    )
    await session.exec(
        sa.update(Publication)
        .where(
            col(Publication.channel_id) == channel_id,
            col(Publication.mode) == "thread",
            col(Publication.summary_id).is_not(None),
            col(Publication.thread_id).is_(None),
        )
        .values(thread_id=thread_of_issue)
    )


async def _issues_without_rows(
    session: AsyncSession, *, channel_id: int, feeds: sa.ColumnElement[bool]
) -> list[tuple[int, str]]:
    """(id, title) of publishable issues with no summaries at all: posted as themselves."""
    stmt = (
        select(col(Issue.id), col(Issue.title))
        .where(col(Issue.publish).is_(True), col(Issue.feed_id).is_not(None), feeds)
        .where(~sa.exists().where(col(Summary.issue_id) == col(Issue.id)))
        .where(
            ~sa.exists().where(
                col(Publication.channel_id) == channel_id,
                col(Publication.issue_id) == col(Issue.id),
            )
        )
        .order_by(col(Issue.published_at), col(Issue.id))
    )
    return [(int(i), str(t or "")) for i, t in (await session.exec(stmt)).all() if i is not None]


def _row(
    channel_id: int, mode: str, issue_id: int, summary_id: int | None, status: str = PENDING
) -> dict[str, object]:
    now = utcnow()
    return {
        "issue_id": issue_id,
        "summary_id": summary_id,
        "channel_id": channel_id,
        "mode": mode,
        "status": status,
        "marker": marker_for(channel_id=channel_id, issue_id=issue_id, summary_id=summary_id),
        "attempts": 0,
        "error_reported": False,
        "created_at": now,
        "updated_at": now,
    }


async def claim_next(
    session: AsyncSession, *, skip_channels: Sequence[int] = ()
) -> Publication | None:
    """The oldest claimable pending row, now marked posting with one more attempt; rows of
    `skip_channels` (a channel found missing or forbidden in this cycle) wait."""
    stmt = (
        select(Publication)
        .where(col(Publication.status) == PENDING)
        .where(col(Publication.channel_id).not_in(list(skip_channels)))
        .where(
            sa.or_(
                col(Publication.mode) != "thread",
                col(Publication.summary_id).is_(None),
                col(Publication.thread_id).is_not(None),
            )
        )
        .order_by(col(Publication.id))
        .limit(1)
    )
    pub = (await session.exec(stmt)).first()
    if pub is None:
        return None
    # Compare-and-set on the status: a second claimer (should the leader lock ever fail) loses.
    result = await session.exec(
        sa.update(Publication)
        .where(col(Publication.id) == pub.id, col(Publication.status) == PENDING)
        .values(status=POSTING, attempts=col(Publication.attempts) + 1, updated_at=utcnow())
    )
    if not getattr(result, "rowcount", 0):
        return None
    await session.refresh(pub)
    return pub


def starter_hash(content: str) -> str:
    """sha256 of a starter message's text, as sent (what a crashed post is recognised by)."""
    return hashlib.sha256(content.encode()).hexdigest()


async def start_post(
    session: AsyncSession, *, publication_id: int, content: str, started_at: datetime
) -> None:
    """Record what the next Discord call will post and when; the caller commits before it."""
    await session.exec(
        sa.update(Publication)
        .where(col(Publication.id) == publication_id)
        .values(starter_hash=starter_hash(content), post_started_at=started_at)
    )


async def posted_starters(session: AsyncSession, *, channel_id: int) -> set[int]:
    """Starter message ids of the channel's posted rows: posts a crashed row must not adopt."""
    stmt = select(col(Publication.starter_message_id)).where(
        col(Publication.channel_id) == channel_id,
        col(Publication.status) == POSTED,
        col(Publication.starter_message_id).is_not(None),
    )
    return {int(i) for i in (await session.exec(stmt)).all() if i is not None}


async def load_target(session: AsyncSession, *, publication: Publication) -> Target:
    issue = await session.get(Issue, publication.issue_id)
    if issue is None:
        raise LookupError(f"publication {publication.id}: issue {publication.issue_id} is gone")
    summary = None
    if publication.summary_id is not None:
        summary = await session.get(Summary, publication.summary_id)
    return Target(publication, issue, summary)


async def issue_summaries(session: AsyncSession, *, issue_id: int) -> list[Summary]:
    stmt = select(Summary).where(col(Summary.issue_id) == issue_id).order_by(col(Summary.position))
    return list((await session.exec(stmt)).all())


async def mark_posted(
    session: AsyncSession,
    *,
    publication_id: int,
    thread_id: int,
    starter_message_id: int,
    posted_hash: str | None,
) -> None:
    """Record where the row landed; a thread-mode issue row hands its thread to its summaries."""
    pub = await session.get(Publication, publication_id)
    if pub is None:
        raise LookupError(f"publication {publication_id} does not exist")
    pub.status = POSTED
    pub.thread_id = thread_id
    pub.starter_message_id = starter_message_id
    pub.posted_hash = posted_hash
    pub.error = None
    pub.updated_at = utcnow()
    if pub.mode == "thread" and pub.summary_id is None:
        await session.exec(
            sa.update(Publication)
            .where(
                col(Publication.channel_id) == pub.channel_id,
                col(Publication.issue_id) == pub.issue_id,
                col(Publication.summary_id).is_not(None),
                col(Publication.thread_id).is_(None),
            )
            .values(thread_id=thread_id)
        )


async def mark_edited(
    session: AsyncSession, *, publication_id: int, posted_hash: str | None
) -> None:
    await session.exec(
        sa.update(Publication)
        .where(col(Publication.id) == publication_id)
        .values(posted_hash=posted_hash, updated_at=utcnow())
    )


async def mark_failed(session: AsyncSession, *, publication_id: int, error: str) -> None:
    """A permanent failure; a thread-mode issue row takes its waiting summaries with it."""
    pub = await session.get(Publication, publication_id)
    if pub is None:
        raise LookupError(f"publication {publication_id} does not exist")
    pub.status = FAILED
    pub.error = error[:1000]
    pub.updated_at = utcnow()
    if pub.mode == "thread" and pub.summary_id is None:
        await session.exec(
            sa.update(Publication)
            .where(
                col(Publication.channel_id) == pub.channel_id,
                col(Publication.issue_id) == pub.issue_id,
                col(Publication.summary_id).is_not(None),
                col(Publication.status) == PENDING,
            )
            .values(status=FAILED, error=f"its issue thread failed: {error}"[:1000])
        )


async def release(session: AsyncSession, *, publication_id: int, error: str | None) -> None:
    """Back to pending (a transient failure, or a `posting` row whose post was not found)."""
    await session.exec(
        sa.update(Publication)
        .where(col(Publication.id) == publication_id)
        .values(status=PENDING, error=error[:1000] if error else None, updated_at=utcnow())
    )


async def posting_rows(session: AsyncSession) -> list[Publication]:
    """Rows a previous leader left mid-post (it crashed between Discord's answer and commit)."""
    stmt = (
        select(Publication).where(col(Publication.status) == POSTING).order_by(col(Publication.id))
    )
    return list((await session.exec(stmt)).all())


async def unreported_failures(session: AsyncSession) -> list[Publication]:
    stmt = (
        select(Publication)
        .where(col(Publication.status) == FAILED, col(Publication.error_reported).is_(False))
        .order_by(col(Publication.id))
    )
    return list((await session.exec(stmt)).all())


async def already_reported(session: AsyncSession, *, channel_id: int, error: str) -> bool:
    """Whether the moderators were already told about this error in this channel."""
    stmt = select(col(Publication.id)).where(
        col(Publication.channel_id) == channel_id,
        col(Publication.error) == error,
        col(Publication.error_reported).is_(True),
    )
    return (await session.exec(stmt.limit(1))).first() is not None


async def mark_reported(session: AsyncSession, *, publication_ids: Sequence[int]) -> None:
    if publication_ids:
        await session.exec(
            sa.update(Publication)
            .where(col(Publication.id).in_(publication_ids))
            .values(error_reported=True)
        )


async def thread_for_label(session: AsyncSession, *, label: str) -> tuple[int, int] | None:
    """(channel id, thread id) of the first thread posted for the issue labelled `label` as a
    whole (a thread per issue); a post of one of its summaries is that summary's, not the
    issue's (storage.summaries.label_targets finds those)."""
    stmt = (
        select(col(Publication.channel_id), col(Publication.thread_id))
        .join(Issue, col(Issue.id) == col(Publication.issue_id))
        .where(col(Issue.label) == label, col(Publication.status) == POSTED)
        .where(col(Publication.summary_id).is_(None))
        .where(col(Publication.thread_id).is_not(None))
        .order_by(col(Publication.id))
        .limit(1)
    )
    row = (await session.exec(stmt)).first()
    return (int(row[0]), int(row[1])) if row and row[1] is not None else None


async def issue_page(session: AsyncSession, *, label: str) -> str | None:
    """The web page (the newsletter's own link) of the issue labelled `label`, if stored."""
    stmt = select(col(Issue.link)).where(col(Issue.label) == label, col(Issue.link).is_not(None))
    return (await session.exec(stmt.limit(1))).first()


async def thread_for_issue_number(
    session: AsyncSession, *, number: int, prefix: str = "AN"
) -> tuple[int, int] | None:
    return await thread_for_label(session, label=f"{prefix} #{number}")


async def rows_needing_edit(session: AsyncSession, *, limit: int = 100) -> list[Target]:
    """Posted rows whose source changed since they were posted (hash differs)."""
    current = sa.case(
        (col(Publication.summary_id).is_(None), col(Issue.content_hash)),
        else_=col(Summary.content_hash),
    )
    stmt = (
        select(Publication, Issue, Summary)
        .join(Issue, col(Issue.id) == col(Publication.issue_id))
        .outerjoin(Summary, col(Summary.id) == col(Publication.summary_id))
        .where(col(Publication.status) == POSTED)
        .where(current.is_not(None), current.is_distinct_from(col(Publication.posted_hash)))
        .order_by(col(Publication.id))
        .limit(limit)
    )
    return [Target(p, i, s) for p, i, s in (await session.exec(stmt)).all()]


def source_hash(target: Target) -> str | None:
    """The hash a row is compared with: its summary's, or for an issue row the issue's."""
    if target.summary is not None:
        return target.summary.content_hash
    return target.issue.content_hash


async def status_counts(session: AsyncSession) -> dict[str, int]:
    stmt = select(col(Publication.status), sa.func.count()).group_by(col(Publication.status))
    return {str(s): int(n) for s, n in (await session.exec(stmt)).all()}


async def list_publications(
    session: AsyncSession, *, channel_id: int | None = None
) -> list[Publication]:
    stmt = select(Publication).order_by(col(Publication.id))
    if channel_id is not None:
        stmt = stmt.where(col(Publication.channel_id) == channel_id)
    return list((await session.exec(stmt)).all())


async def retry_failed(session: AsyncSession, *, channel_id: int | None = None) -> int:
    """Failed rows back to pending (after a moderator fixed the permission or channel).

    Their attempt count is kept, so the publisher first looks for a post an earlier attempt
    may have made before posting again.
    """
    stmt = sa.update(Publication).where(col(Publication.status) == FAILED)
    if channel_id is not None:
        stmt = stmt.where(col(Publication.channel_id) == channel_id)
    result = await session.exec(
        stmt.values(status=PENDING, error=None, error_reported=False, updated_at=utcnow())
    )
    return int(result.rowcount or 0)


# --- discussions opened on demand (/an discuss) -------------------------------------------

DISCUSS = "discuss"  # mode of a row opened by a member for a summary of the back catalog


async def discussion_of(session: AsyncSession, *, summary_id: int) -> Publication | None:
    """The summary's own post (a forum post of the publisher or one opened by /an discuss),
    posted or under way; a thread-mode message is not a post of its own."""
    stmt = (
        select(Publication)
        .where(col(Publication.summary_id) == summary_id)
        .where(col(Publication.mode).in_(("forum", DISCUSS)))
        .where(col(Publication.status).in_((POSTED, POSTING, PENDING)))
        .order_by(sa.case((col(Publication.status) == POSTED, 0), else_=1), col(Publication.id))
        .limit(1)
    )
    return (await session.exec(stmt)).first()


async def open_discussion(
    session: AsyncSession, *, channel_id: int, summary: Summary
) -> Publication:
    """The pending (or existing) row that opens `summary`'s post in `channel_id`. Two members
    asking at once get the one row: the target is unique and the insert ignores a conflict."""
    if summary.issue_id is None or summary.id is None:
        raise LookupError(f"summary {summary.id} belongs to no issue")
    row = _row(channel_id, DISCUSS, summary.issue_id, summary.id)
    await session.exec(_insert_ignore(session, [row]))
    stmt = select(Publication).where(col(Publication.marker) == row["marker"])
    found = (await session.exec(stmt)).first()
    assert found is not None
    return found


async def claim(session: AsyncSession, *, publication_id: int) -> Publication | None:
    """Mark this pending row posting (one more attempt); None when someone else has it."""
    result = await session.exec(
        sa.update(Publication)
        .where(col(Publication.id) == publication_id, col(Publication.status) == PENDING)
        .values(status=POSTING, attempts=col(Publication.attempts) + 1, updated_at=utcnow())
    )
    if not getattr(result, "rowcount", 0):
        return None
    pub = await session.get(Publication, publication_id)
    if pub is not None:
        await session.refresh(pub)
    return pub


async def pending_count(session: AsyncSession, *, channel_id: int) -> int:
    stmt = select(sa.func.count()).where(
        col(Publication.channel_id) == channel_id, col(Publication.status) == PENDING
    )
    return int((await session.exec(stmt)).one())

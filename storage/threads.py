"""Discord threads the mirror follows, and members' visits to them.

A thread is tracked when the publisher created it (`upsert_thread` on post) or a moderator ran
`/an track` in it. Every write is an upsert keyed on the Discord id, so replays are harmless.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import lookups
from storage.models import DiscordThread, Publication, ThreadVisit, utcnow
from storage.sql import dialect_insert, load_models, run, table_of

THREADS = table_of(DiscordThread)
VISITS = table_of(ThreadVisit)
PUBLICATIONS = table_of(Publication)


async def upsert_thread(
    session: AsyncSession,
    *,
    thread_id: int,
    guild_id: int | None,
    channel_id: int | None,
    name: str,
    publication_id: int | None = None,
    tracked: bool = True,
) -> None:
    """Record (or refresh) a thread; keeps its catch-up position and an existing publication."""
    table = THREADS
    stmt = dialect_insert(session, table).values(
        id=thread_id,
        guild_id=guild_id,
        channel_id=channel_id,
        name=name[:100],
        publication_id=publication_id,
        tracked=tracked,
        created_at=utcnow(),
    )
    excluded = stmt.excluded
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={
            "guild_id": sa.func.coalesce(excluded.guild_id, table.c.guild_id),
            "channel_id": sa.func.coalesce(excluded.channel_id, table.c.channel_id),
            "name": excluded.name,
            "publication_id": sa.func.coalesce(excluded.publication_id, table.c.publication_id),
            "tracked": excluded.tracked,
        },
    )
    await run(session, stmt)


async def set_tracked(session: AsyncSession, *, thread_id: int, tracked: bool) -> bool:
    """Start or stop mirroring a known thread; False when the thread is unknown."""
    result = await run(
        session, sa.update(THREADS).where(THREADS.c.id == thread_id).values(tracked=tracked)
    )
    return bool(getattr(result, "rowcount", 0))


async def get_thread(session: AsyncSession, thread_id: int) -> DiscordThread | None:
    """storage.lookups.thread_by_id as a model, read afresh even when the session holds it."""
    statement = lookups.thread_by_id(thread_id)
    found = await load_models(session, DiscordThread, statement, populate_existing=True)
    return found[0] if found else None


async def is_tracked(session: AsyncSession, thread_id: int) -> bool:
    row = await session.get(DiscordThread, thread_id, populate_existing=True)
    return bool(row and row.tracked)


async def tracked_threads(session: AsyncSession) -> list[DiscordThread]:
    result = await session.exec(
        select(DiscordThread).where(THREADS.c.tracked.is_(True)).order_by(THREADS.c.id)
    )
    return list(result.all())


async def advance_last_message(session: AsyncSession, *, thread_id: int, message_id: int) -> None:
    """Move the catch-up position forward only (events may arrive out of order)."""
    col = THREADS.c.last_message_id
    await run(
        session,
        sa.update(THREADS)
        .where(THREADS.c.id == thread_id)
        .where(sa.or_(col.is_(None), col < message_id))
        .values(last_message_id=message_id),
    )


async def last_visit(session: AsyncSession, *, thread_id: int, user_id: int) -> datetime | None:
    row = await session.get(ThreadVisit, (thread_id, user_id), populate_existing=True)
    return row.visited_at if row else None


async def record_visit(
    session: AsyncSession, *, thread_id: int, user_id: int, visited_at: datetime
) -> None:
    table = VISITS
    stmt = dialect_insert(session, table).values(
        thread_id=thread_id, user_id=user_id, visited_at=visited_at
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.thread_id, table.c.user_id],
        set_={"visited_at": stmt.excluded.visited_at},
    )
    await run(session, stmt)


def _threads_for_summaries_stmt(summary_ids: Sequence[int]) -> sa.Select[Any]:
    pubs = PUBLICATIONS
    return (
        sa.select(pubs.c.summary_id, pubs.c.thread_id)
        .where(pubs.c.summary_id.in_(list(summary_ids)), pubs.c.thread_id.is_not(None))
        .order_by(pubs.c.id.desc())
    )


async def threads_for_summaries(
    session: AsyncSession, summary_ids: Sequence[int]
) -> dict[int, int]:
    """summary id → thread id of its posted forum post (the first, if posted in several)."""
    if not summary_ids:
        return {}
    rows = await run(session, _threads_for_summaries_stmt(summary_ids))
    return {row.summary_id: row.thread_id for row in rows}


def threads_for_summaries_on(
    connection: sa.Connection, summary_ids: Sequence[int]
) -> dict[int, int]:
    """threads_for_summaries on a synchronous connection (inside a Database.run_sync unit)."""
    if not summary_ids:
        return {}
    rows = connection.execute(_threads_for_summaries_stmt(summary_ids))
    return {row.summary_id: row.thread_id for row in rows}


def _threads_for_issues_stmt(issue_ids: Sequence[int]) -> sa.Select[Any]:
    pubs = PUBLICATIONS
    return (
        sa.select(pubs.c.issue_id, pubs.c.thread_id)
        .where(
            pubs.c.issue_id.in_(list(issue_ids)),
            pubs.c.summary_id.is_(None),
            pubs.c.thread_id.is_not(None),
        )
        .order_by(pubs.c.id.desc())
    )


async def threads_for_issues(session: AsyncSession, issue_ids: Sequence[int]) -> dict[int, int]:
    """issue id → thread id of its thread-per-issue post (summary_id NULL)."""
    if not issue_ids:
        return {}
    rows = await run(session, _threads_for_issues_stmt(issue_ids))
    return {row.issue_id: row.thread_id for row in rows}


def threads_for_issues_on(connection: sa.Connection, issue_ids: Sequence[int]) -> dict[int, int]:
    """threads_for_issues on a synchronous connection (inside a Database.run_sync unit)."""
    if not issue_ids:
        return {}
    rows = connection.execute(_threads_for_issues_stmt(issue_ids))
    return {row.issue_id: row.thread_id for row in rows}


def _discussion_sizes_stmt(thread_ids: Sequence[int]) -> sa.Select[Any]:
    from storage.models import Comment

    comments = table_of(Comment)
    return (
        sa.select(
            comments.c.thread_id.label("thread"),
            sa.func.count().label("n"),
            sa.func.max(comments.c.created_at).label("last"),
        )
        .where(comments.c.thread_id.in_(list(thread_ids)))
        .where(comments.c.is_starter.is_(False), comments.c.deleted.is_(False))
        .group_by(comments.c.thread_id)
    )


def _sizes(rows: Sequence[sa.Row[Any]]) -> dict[int, tuple[int, datetime | None]]:
    return {
        int(row._mapping["thread"]): (int(row._mapping["n"]), _aware(row._mapping["last"]))
        for row in rows
    }


async def discussion_sizes(
    session: AsyncSession, thread_ids: Sequence[int]
) -> dict[int, tuple[int, datetime | None]]:
    """thread id → (comments, when the newest was written): replies only, deleted ones not
    counted; threads without any reply are left out."""
    if not thread_ids:
        return {}
    return _sizes((await run(session, _discussion_sizes_stmt(thread_ids))).all())


def discussion_sizes_on(
    connection: sa.Connection, thread_ids: Sequence[int]
) -> dict[int, tuple[int, datetime | None]]:
    """discussion_sizes on a synchronous connection (inside a Database.run_sync unit)."""
    if not thread_ids:
        return {}
    return _sizes(connection.execute(_discussion_sizes_stmt(thread_ids)).all())


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)  # in case a backend's max() loses the zone

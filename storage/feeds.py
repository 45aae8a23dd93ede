"""Feed rows: get-or-create by URL, poll bookkeeping (caching headers, failures), listing.

Functions flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from feeds.fetch import should_disable
from storage.models import Feed, utcnow

MAX_ERROR_LENGTH = 500
MAX_SKIPPED_SHOWN = 20  # skipped entries kept on the row (the count is in the report)


async def get_or_create_feed(session: AsyncSession, *, url: str) -> Feed:
    """The feed row for `url`, inserted if missing. Two processes adding one URL at once both
    get the one row: the insert does nothing on a conflict instead of failing."""
    feed = (await session.exec(select(Feed).where(Feed.url == url))).first()
    if feed is not None:
        return feed
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values = Feed(url=url).model_dump(exclude={"id"})
    conn = await session.connection()
    await conn.execute(insert(Feed).values(**values).on_conflict_do_nothing())
    feed = (await session.exec(select(Feed).where(Feed.url == url))).first()
    assert feed is not None  # inserted now or by another process
    return feed


async def get_feed(session: AsyncSession, *, url: str) -> Feed | None:
    return (await session.exec(select(Feed).where(Feed.url == url))).first()


async def lock_feed(session: AsyncSession, feed: Feed) -> None:
    """Start the transaction with a write to the feed's row: SQLite takes its write lock now
    (waiting for another writer instead of failing later on a stale snapshot) and PostgreSQL
    locks the row, so two pollers of one feed store its entries one after the other."""
    conn = await session.connection()
    table = Feed.__table__  # type: ignore[attr-defined]
    await conn.execute(
        sa.update(table)
        .where(table.c.id == feed.id)
        .values(first_poll_done=table.c.first_poll_done)
    )


async def record_poll_success(
    session: AsyncSession,
    feed: Feed,
    *,
    etag: str | None,
    last_modified: str | None,
    content_hash: str | None,
    title: str | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> None:
    """A poll got an answer (new body, 304 or same body): keep validators, reset failures.

    `skipped`: (entry id, reason) of entries that could not be stored; they are kept on the row
    (for `anbot feeds list`) and the body's validators are not, so the next poll tries again.
    """
    feed.etag = None if skipped else etag
    feed.last_modified = None if skipped else last_modified
    if content_hash is not None or skipped:
        feed.content_hash = None if skipped else content_hash
    if skipped is not None:
        feed.skipped_entries = [
            {"entry": entry[:MAX_ERROR_LENGTH], "reason": reason[:MAX_ERROR_LENGTH]}
            for entry, reason in skipped[:MAX_SKIPPED_SHOWN]
        ]
    if title:
        feed.title = title
    feed.consecutive_failures = 0
    feed.last_error = None
    feed.last_error_permanent = False
    feed.last_polled_at = utcnow()
    session.add(feed)
    await session.flush()


async def record_poll_failure(
    session: AsyncSession, feed: Feed, *, error: str, max_failures: int, permanent: bool = False
) -> bool:
    """Count a failed poll; disable the feed after `max_failures` in a row (0: never).

    A `permanent`-looking failure (404, an HTML page) counts like any other: a site being
    rebuilt answers 404 for an hour. It only makes the backoff longer (storage.ingest).
    Returns True when this call disabled the feed."""
    feed.consecutive_failures += 1
    feed.last_error = error[:MAX_ERROR_LENGTH]
    feed.last_error_permanent = permanent
    feed.last_polled_at = utcnow()
    disabled_now = False
    if not feed.disabled and should_disable(feed.consecutive_failures, max_failures):
        feed.disabled = True
        why = f"{feed.consecutive_failures} failures in a row"
        feed.disabled_reason = f"{why}: {feed.last_error}"[:MAX_ERROR_LENGTH]
        disabled_now = True
    session.add(feed)
    await session.flush()
    return disabled_now


async def enable_feed(session: AsyncSession, feed: Feed) -> None:
    """Re-enable a disabled feed (a moderator fixed it): failures start from zero."""
    feed.disabled = False
    feed.disabled_reason = None
    feed.consecutive_failures = 0
    feed.last_error_permanent = False
    session.add(feed)
    await session.flush()


async def list_active_feeds(session: AsyncSession) -> list[Feed]:
    query = select(Feed).where(col(Feed.disabled).is_(False)).order_by(col(Feed.id))
    return list((await session.exec(query)).all())


async def list_feeds(session: AsyncSession) -> list[Feed]:
    return list((await session.exec(select(Feed).order_by(col(Feed.id)))).all())

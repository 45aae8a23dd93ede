"""Feed rows: get-or-create by URL, poll bookkeeping (caching headers, failures), listing.

Functions flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Feed, utcnow

MAX_ERROR_LENGTH = 500


async def get_or_create_feed(session: AsyncSession, *, url: str) -> Feed:
    feed = (await session.exec(select(Feed).where(Feed.url == url))).first()
    if feed is None:
        feed = Feed(url=url)
        session.add(feed)
        await session.flush()
    return feed


async def get_feed(session: AsyncSession, *, url: str) -> Feed | None:
    return (await session.exec(select(Feed).where(Feed.url == url))).first()


async def record_poll_success(
    session: AsyncSession,
    feed: Feed,
    *,
    etag: str | None,
    last_modified: str | None,
    content_hash: str | None,
    title: str | None = None,
) -> None:
    """A poll got an answer (new body, 304 or same body): keep validators, reset failures."""
    feed.etag = etag
    feed.last_modified = last_modified
    if content_hash is not None:
        feed.content_hash = content_hash
    if title:
        feed.title = title
    feed.consecutive_failures = 0
    feed.last_error = None
    feed.last_polled_at = utcnow()
    session.add(feed)
    await session.flush()


async def record_poll_failure(
    session: AsyncSession, feed: Feed, *, error: str, max_failures: int, permanent: bool = False
) -> bool:
    """Count a failed poll; disable the feed after `max_failures` in a row (or at once when
    `permanent`, e.g. 404/410). Returns True when this call disabled it."""
    feed.consecutive_failures += 1
    feed.last_error = error[:MAX_ERROR_LENGTH]
    feed.last_polled_at = utcnow()
    disabled_now = False
    if not feed.disabled and (permanent or feed.consecutive_failures >= max_failures):
        feed.disabled = True
        why = "permanent error" if permanent else f"{feed.consecutive_failures} failures in a row"
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
    session.add(feed)
    await session.flush()


async def list_active_feeds(session: AsyncSession) -> list[Feed]:
    query = select(Feed).where(col(Feed.disabled).is_(False)).order_by(col(Feed.id))
    return list((await session.exec(query)).all())


async def list_feeds(session: AsyncSession) -> list[Feed]:
    return list((await session.exec(select(Feed).order_by(col(Feed.id)))).all())

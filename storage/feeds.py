"""Feed rows: get-or-create by URL, poll bookkeeping (caching headers, failures), listing;
management at run time (routes, pause, removal, the first-start seed from the environment).

Functions flush but never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from feeds.fetch import should_disable
from storage.models import Feed, FeedRoute, Issue, Publication, Setting, utcnow
from storage.sql import dialect_insert, table_of

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
    table = table_of(Feed)
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


# --- management (moderators add, pause, remove feeds at run time) ---------------------------

SEEDED_KEY = "feeds_seeded"


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """A route to create: where and how a feed publishes."""

    channel_id: int
    mode: str = "forum"
    ping_role_id: int | None = None
    include_sections: tuple[str, ...] = ()
    exclude_sections: tuple[str, ...] = ()
    include_words: tuple[str, ...] = ()
    exclude_words: tuple[str, ...] = ()


async def get_setting(session: AsyncSession, key: str) -> str | None:
    row = await session.get(Setting, key)
    return row.value if row is not None else None


async def set_setting(session: AsyncSession, key: str, value: str) -> None:
    row = await session.get(Setting, key)
    if row is None:
        session.add(Setting(key=key, value=value))
    else:
        row.value = value
        session.add(row)
    await session.flush()


async def delete_setting(session: AsyncSession, key: str) -> None:
    row = await session.get(Setting, key)
    if row is not None:
        await session.delete(row)
        await session.flush()


async def seed_from_settings(
    session: AsyncSession,
    *,
    urls: Sequence[str],
    channels: Sequence[tuple[int, str]],
    backfill: int,
    ping_role_id: int | None = None,
) -> bool:
    """On the first start with feed management, ANBOT_FEEDS × ANBOT_PUBLISH_CHANNELS become
    feeds with routes; afterwards the database is the truth. Returns True when it seeded.

    Safe when two processes start at once: the marker row's primary key lets one of them in."""
    if await get_setting(session, SEEDED_KEY) is not None:
        return False
    conn = await session.connection()
    inserted = await conn.execute(
        dialect_insert(session, table_of(Setting))
        .values(key=SEEDED_KEY, value=utcnow().isoformat())
        .on_conflict_do_nothing()
    )
    if not getattr(inserted, "rowcount", 0):
        return False
    for url in urls:
        existed = await get_feed(session, url=url) is not None
        feed = await get_or_create_feed(session, url=url)
        if not existed:
            feed.backfill = backfill
            session.add(feed)
        for channel_id, mode in channels:
            spec = RouteSpec(channel_id=channel_id, mode=mode, ping_role_id=ping_role_id)
            await add_route(session, feed, spec)
    await session.flush()
    return True


async def add_route(session: AsyncSession, feed: Feed, spec: RouteSpec) -> FeedRoute:
    assert feed.id is not None
    existing = (
        await session.exec(
            select(FeedRoute).where(
                FeedRoute.feed_id == feed.id, FeedRoute.channel_id == spec.channel_id
            )
        )
    ).first()
    route = existing or FeedRoute(feed_id=feed.id, channel_id=spec.channel_id)
    route.mode = spec.mode
    route.ping_role_id = spec.ping_role_id
    route.include_sections = list(spec.include_sections)
    route.exclude_sections = list(spec.exclude_sections)
    route.include_words = list(spec.include_words)
    route.exclude_words = list(spec.exclude_words)
    session.add(route)
    await session.flush()
    return route


async def add_feed(
    session: AsyncSession,
    *,
    url: str,
    guild_id: int | None,
    routes: Sequence[RouteSpec],
    backfill: int,
    title: str | None = None,
) -> Feed:
    """A new feed (or a removed one back) with its routes. A feed seen before keeps what it
    recorded, so its old entries are not posted again."""
    existed = await get_feed(session, url=url) is not None
    feed = await get_or_create_feed(session, url=url)
    if feed.removed or feed.guild_id is None:
        feed.guild_id = guild_id  # a feed stays with the server that added it first
    feed.removed = False
    feed.paused = False
    if title and not feed.title:
        feed.title = title
    if not existed or not feed.first_poll_done:
        feed.backfill = backfill
    session.add(feed)
    for spec in routes:
        await add_route(session, feed, spec)
    await session.flush()
    return feed


async def route_for(session: AsyncSession, *, feed_id: int, channel_id: int) -> FeedRoute | None:
    query = select(FeedRoute).where(
        FeedRoute.feed_id == feed_id, FeedRoute.channel_id == channel_id
    )
    return (await session.exec(query)).first()


async def feed_routes(session: AsyncSession, feed: Feed) -> list[FeedRoute]:
    query = select(FeedRoute).where(FeedRoute.feed_id == feed.id).order_by(col(FeedRoute.id))
    return list((await session.exec(query)).all())


async def remove_feed(session: AsyncSession, feed: Feed) -> int:
    """Stop a feed: no more polls, its routes gone, its pending posts dropped (returns how
    many). Its issues and summaries stay: they are the searchable back catalog."""
    table = table_of(Publication)
    of_feed = sa.select(table_of(Issue).c.id).where(table_of(Issue).c.feed_id == feed.id)
    result = await session.exec(
        sa.delete(table).where(table.c.status == "pending", table.c.issue_id.in_(of_feed))
    )
    await session.exec(
        sa.delete(table_of(FeedRoute)).where(table_of(FeedRoute).c.feed_id == feed.id)
    )
    feed.removed = True
    session.add(feed)
    await session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


async def set_paused(session: AsyncSession, feed: Feed, *, paused: bool) -> None:
    feed.paused = paused
    session.add(feed)
    await session.flush()


async def feeds_to_poll(session: AsyncSession) -> list[Feed]:
    """Feeds the leader polls: web feeds neither removed nor paused (a disabled one is
    skipped by storage.ingest.poll_feed)."""
    query = (
        select(Feed)
        .where(col(Feed.removed).is_(False), col(Feed.paused).is_(False))
        .where(sa.or_(col(Feed.url).startswith("http://"), col(Feed.url).startswith("https://")))
        .order_by(col(Feed.id))
    )
    return list((await session.exec(query)).all())


async def managed_feeds(session: AsyncSession, *, guild_id: int | None = None) -> list[Feed]:
    """Feeds moderators see in `/an feed list`: web feeds not removed (one guild's, or all)."""
    query = (
        select(Feed)
        .where(col(Feed.removed).is_(False))
        .where(sa.or_(col(Feed.url).startswith("http://"), col(Feed.url).startswith("https://")))
        .order_by(col(Feed.id))
    )
    if guild_id is not None:
        query = query.where(sa.or_(col(Feed.guild_id) == guild_id, col(Feed.guild_id).is_(None)))
    return list((await session.exec(query)).all())


async def count_guild_feeds(session: AsyncSession, *, guild_id: int) -> int:
    query = select(sa.func.count()).where(Feed.guild_id == guild_id, col(Feed.removed).is_(False))
    return int((await session.exec(query)).one())


async def record_notified(session: AsyncSession, feed: Feed, state: str) -> None:
    feed.notified_state = state
    session.add(feed)
    await session.flush()


def feed_state(feed: Feed) -> str:
    """ "disabled", "failing" or "ok": what the mod-log is told about when it changes."""
    if feed.disabled:
        return "disabled"
    return "failing" if feed.consecutive_failures > 0 else "ok"

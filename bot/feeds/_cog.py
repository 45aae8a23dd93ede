"""The feed poller: every poll interval the leader fetches each feed of the database into storage.

The feeds are read from the database at every poll, so a feed a moderator adds in any process
is polled by the leader within one poll interval. On the first start ANBOT_FEEDS and
ANBOT_PUBLISH_CHANNELS seed the database (storage.feeds.seed_from_settings). After each feed's
poll the mod-log is told when the feed's state changed (ok → failing → disabled, or back to
ok): one notice per change. After a poll it wakes the publisher, so a new entry reaches Discord
about one poll interval after it appears. Only the leader polls (storage.leader); on PostgreSQL
another process takes over within one interval of the leader's death, because every process
retries the lock here.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.feeds.manage import notice_text
from bot.logging import get_logger
from storage import feeds as store
from storage.ingest import poll_feed
from storage.models import Feed

if TYPE_CHECKING:
    from bot.app import AnBot

log = get_logger(__name__)


class FeedsCog(commands.Cog):
    def __init__(self, bot: AnBot) -> None:
        self.bot = bot
        self.polls = 0
        self._polling = False
        self.poll.change_interval(seconds=bot.settings.poll_interval)

    async def cog_load(self) -> None:
        self.poll.start()

    async def cog_unload(self) -> None:
        # A poll in progress finishes (cancelling it mid-transaction could strand a database
        # connection); a loop asleep until the next poll is cancelled. Either way, wait for it.
        task = self.poll.get_task()
        if self._polling:
            self.poll.stop()
        else:
            self.poll.cancel()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=self.bot.settings.fetch_timeout + 30)

    @tasks.loop(seconds=300)
    async def poll(self) -> None:
        self._polling = True
        try:
            await self._poll_once()
        finally:
            self._polling = False

    async def _poll_once(self) -> None:
        settings = self.bot.settings
        if not await self.bot.leader.acquire():
            log.debug("another process is the leader; not polling")
            return
        db = self.bot.db
        async with db.session() as session:
            if await store.seed_from_settings(
                session,
                urls=settings.feeds,
                channels=settings.channel_modes(),
                backfill=settings.backfill,
                ping_role_id=settings.ping_role_id,
            ):
                log.info("seeded %d feeds from ANBOT_FEEDS", len(settings.feeds))
            await session.commit()
            feeds = await store.feeds_to_poll(session)
        fetcher = settings.feed_fetcher(self.bot.http_session)
        for feed in feeds:
            try:
                report = await poll_feed(
                    db,
                    fetcher,
                    feed.url,
                    backfill=feed.backfill,
                    max_failures=settings.feed_max_failures,
                    backoff_base=settings.feed_backoff_base,
                )
                log.info("polled %s: %s", feed.url, report)
                await self._tell_state(feed)
            except Exception:
                # One broken feed (or a database hiccup) must not stop the others.
                log.exception("polling %s failed", feed.url)
        self.polls += 1
        self.bot.publish_wanted.set()

    async def _tell_state(self, feed: Feed) -> None:
        """One mod-log notice when the feed's state changed since the last one."""
        async with self.bot.db.session() as session:
            row = await session.get(Feed, feed.id)
            if row is None:
                return
            state = store.feed_state(row)
            if state == row.notified_state:
                return
            channel_id = self.bot.settings.mod_log_channel_id
            if channel_id:
                try:
                    channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(
                        channel_id
                    )
                    await channel.send(  # type: ignore[union-attr]
                        notice_text(row, state), allowed_mentions=discord.AllowedMentions.none()
                    )
                except discord.HTTPException as exc:
                    log.warning("cannot tell the mod-log about feed %s: %s", row.url, exc)
                    return  # told at the next poll instead
            log.info("feed %s: %s → %s", row.url, row.notified_state, state)
            await store.record_notified(session, row, state)
            await session.commit()

    @poll.before_loop
    async def _before(self) -> None:
        await self.bot.wait_until_ready()

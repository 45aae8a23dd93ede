"""The feed poller: every poll interval the leader fetches each configured feed into storage.

After a poll it wakes the publisher, so a new entry reaches Discord about one poll interval
after it appears. Only the leader polls (storage.leader); on PostgreSQL another process takes
over within one interval of the leader's death, because every process retries the lock here.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from discord.ext import commands, tasks

from bot.logging import get_logger
from feeds.fetch import FeedFetcher
from storage.ingest import poll_feed

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
        fetcher = FeedFetcher(
            self.bot.http_session,
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            allow_private=settings.allow_private_feeds,
        )
        for url in settings.feeds:
            try:
                report = await poll_feed(
                    self.bot.db,
                    fetcher,
                    url,
                    backfill=settings.backfill,
                    max_failures=settings.feed_max_failures,
                    backoff_base=settings.feed_backoff_base,
                )
            except Exception:
                # One broken feed (or a database hiccup) must not stop the others.
                log.exception("polling %s failed", url)
                continue
            log.info("polled %s: %s", url, report)
        self.polls += 1
        self.bot.publish_wanted.set()

    @poll.before_loop
    async def _before(self) -> None:
        await self.bot.wait_until_ready()


async def setup(bot: AnBot) -> None:
    await bot.add_cog(FeedsCog(bot))

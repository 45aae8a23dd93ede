"""The publisher cog: runs publishing cycles when a poll wakes it (or every poll interval).

The work itself is in bot.publish.publisher; this cog only owns the background task.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING

from discord.ext import commands

from bot.logging import get_logger
from bot.publish.publisher import CycleReport, Publisher

if TYPE_CHECKING:
    from bot.app import AnBot

log = get_logger(__name__)


class PublisherCog(commands.Cog):
    def __init__(self, bot: AnBot) -> None:
        self.bot = bot
        self.publisher = Publisher(bot)
        self.last_report: CycleReport | None = None
        # Cycles started / finished: lets a caller wait for a cycle that began after an event.
        self.started = 0
        self.finished = 0
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    async def cog_load(self) -> None:
        self._task = asyncio.create_task(self._run(), name="anbot-publisher")

    async def cog_unload(self) -> None:
        # Let a cycle in progress finish its current row (cancelling it mid-transaction could
        # strand a database connection); the claim and starter-hash protocol make a later cut
        # safe too.
        if self._task is None:
            return
        self._stopping = True
        self.bot.publish_wanted.set()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(self._task, timeout=60)

    async def _run(self) -> None:
        await self.bot.wait_until_ready()
        wanted = self.bot.publish_wanted
        while not self._stopping:
            wanted.clear()
            self.started += 1
            number = self.started
            try:
                self.last_report = await self.publisher.cycle()
            except Exception:
                # A database or Discord outage must not end publishing for the process's life.
                log.exception("publishing cycle failed; retrying after the next poll")
            self.finished = number
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wanted.wait(), timeout=self.bot.settings.poll_interval)

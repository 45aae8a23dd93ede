"""The feed poller extension: the cog (`_cog.py`) and the one FeedFetcher built from settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.feeds._cog import FeedsCog

if TYPE_CHECKING:
    from bot.app import AnBot


async def setup(bot: AnBot) -> None:
    await bot.add_cog(FeedsCog(bot))

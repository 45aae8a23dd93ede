"""The feed extension: the poller cog (`_cog.py`) and `/an feed …` (`commands.py`, a subgroup
of `/an`, so bot.commands is loaded first); `manage.py` is the service both it and the CLI use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands

from bot.feeds._cog import FeedsCog
from bot.feeds.commands import FeedGroup
from bot.logging import get_logger

if TYPE_CHECKING:
    from bot.app import AnBot

log = get_logger(__name__)


async def setup(bot: AnBot) -> None:
    await bot.add_cog(FeedsCog(bot))
    an = bot.tree.get_command("an")
    if isinstance(an, app_commands.Group):
        an.add_command(FeedGroup(bot))
    else:
        log.warning("/an is not loaded (bot.commands): /an feed is not available")

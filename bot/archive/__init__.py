"""The public web archive's Discord side: consent commands and channel visibility tracking
(the cog in `_cog.py`, discussion search answers in `search.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands

from bot.archive._cog import Archive, privacy, web_group

if TYPE_CHECKING:
    from bot.app import AnBot


async def setup(bot: AnBot) -> None:
    an = bot.tree.get_command("an")
    if not isinstance(an, app_commands.Group):
        raise RuntimeError("bot.archive needs the /an group: load bot.commands first")
    await bot.add_cog(Archive(bot))
    an.add_command(web_group)
    an.add_command(privacy)


async def teardown(bot: AnBot) -> None:
    an = bot.tree.get_command("an")
    if isinstance(an, app_commands.Group):
        an.remove_command("web")
        an.remove_command("privacy")

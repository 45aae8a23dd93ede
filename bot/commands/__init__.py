"""The `/an` slash commands extension; the cog, its embeds, pager, checks and export helpers.

The cog is in `_cog.py`; `lookup` draws embeds, `views` pages, `checks` decides who may,
`exporting` parses export arguments and fits files to the upload limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.commands._cog import AnCommands

if TYPE_CHECKING:
    from bot.app import AnBot


async def setup(bot: AnBot) -> None:
    await bot.add_cog(AnCommands(bot))

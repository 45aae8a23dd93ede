"""The discuss extension: `/an discuss` and the "Discuss" button open a summary's forum post on
demand (`_cog.py`); `button.py` is the button other features attach to their answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.discuss._cog import DiscussCog

if TYPE_CHECKING:
    from bot.app import AnBot


async def setup(bot: AnBot) -> None:
    await bot.add_cog(DiscussCog(bot))

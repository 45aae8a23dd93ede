"""The mirror extension: the cog (`_cog.py`), message conversion and catch-up after downtime."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.mirror._cog import Mirror

if TYPE_CHECKING:
    from bot.app import AnBot


async def setup(bot: AnBot) -> None:
    await bot.add_cog(Mirror(bot))

"""The publisher extension: the cog (`_cog.py`), pacing and retries, Discord operations,
rendering of entries into posts, the outbox cycle."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.publish._cog import PublisherCog

if TYPE_CHECKING:
    from bot.app import AnBot


async def setup(bot: AnBot) -> None:
    await bot.add_cog(PublisherCog(bot))

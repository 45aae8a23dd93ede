"""The Bot subclass and the process entry point (after discord.py's advanced_startup example).

`run_bot` opens the HTTP session and the database in `async with`, upgrades the schema and
hands both to `AnBot`; cogs reach them as `bot.settings`, `bot.db`, `bot.http_session` (no
globals). Extensions are loaded in `setup_hook`; each has `async def setup(bot)`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import aiohttp
import discord
from discord.ext import commands

from bot.config import Settings
from bot.discord_api import make_intents, point_discord_at
from bot.errors import AnTree
from bot.logging import get_logger, setup_logging
from feeds.fetch import feed_session
from storage.db import Database
from storage.leader import LeaderLock

log = get_logger(__name__)

DEFAULT_EXTENSIONS: tuple[str, ...] = (
    "bot.commands",  # first: bot.feeds adds `/an feed` to its `/an` group
    "bot.feeds",
    "bot.publish",
    "bot.mirror",
    "bot.archive",
    "bot.discuss",
)


class AnBot(commands.Bot):
    def __init__(
        self,
        settings: Settings,
        db: Database,
        http_session: aiohttp.ClientSession,
        *,
        extensions: Sequence[str] = DEFAULT_EXTENSIONS,
        **discord_kwargs: Any,
    ) -> None:
        discord_kwargs.setdefault("intents", make_intents())
        discord_kwargs.setdefault("command_prefix", commands.when_mentioned)
        discord_kwargs.setdefault("help_command", None)
        # No message cache: discord.py updates cached messages in place on MESSAGE_UPDATE, so a
        # create and an edit arriving together would reach the mirror as the edited text only
        # (the first version lost). The mirror works from raw events and needs no cache.
        discord_kwargs.setdefault("max_messages", None)
        if settings.shard_count is not None:
            # One process per shard (DESIGN.md: several shard processes share PostgreSQL; the
            # advisory lock picks the one that polls feeds and publishes).
            discord_kwargs.setdefault("shard_count", settings.shard_count)
            discord_kwargs.setdefault("shard_id", settings.shard_id())
        super().__init__(
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=AnTree,
            **discord_kwargs,
        )
        self.settings = settings
        self.db = db
        self.http_session = http_session
        self.extension_names = tuple(extensions)
        self.leader = LeaderLock(db, key=settings.leader_lock_key)
        # Set by the feeds cog after each poll; the publisher waits on it (feed→post latency).
        self.publish_wanted = asyncio.Event()

    async def setup_hook(self) -> None:
        for name in self.extension_names:
            await self.load_extension(name)
            log.info("loaded extension %s", name)
        await self._sync_commands()

    async def _sync_commands(self) -> None:
        if not self.tree.get_commands() and not self.tree.get_commands(
            guild=discord.Object(self.settings.dev_guild_id or 0)
        ):
            return
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to dev guild %s", len(synced), guild.id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands", len(synced))

    async def close(self) -> None:
        await super().close()
        await self.leader.release()


async def run_bot(settings: Settings) -> None:
    """Run the bot until it is stopped: upgrade the database, connect, serve."""
    token = settings.discord_token.get_secret_value() if settings.discord_token else ""
    if not token:
        raise ValueError("DISCORD_TOKEN is not set")
    setup_logging(settings.log_level, secrets=[token])
    if settings.discord_api_base and settings.discord_gateway_url:  # both or neither: Settings
        # Another Discord-compatible API (the sandbox in a subprocess); see bot/discord_api.py.
        point_discord_at(settings.discord_api_base, settings.discord_gateway_url)
    session_factory = feed_session(allow_private=settings.allow_private_feeds)
    async with Database(settings.database_url) as db, session_factory as session:
        await db.upgrade()
        async with AnBot(settings, db, session) as bot:
            await bot.start(token)

"""`/an feed add|list|remove|pause|resume|enable|test`: feed management from Discord.

A subgroup of `/an` (attached by bot/feeds/__init__.py). Only members with Manage Server (or a
moderator role) may use it: `/an` is for everyone, so Discord's default_member_permissions
cannot hide the subgroup and the check runs here on every use. Answers are ephemeral; commands
that fetch defer first (a feed may take up to ANBOT_FETCH_TIMEOUT to answer, beyond Discord's 3
s). The checks and texts are bot.feeds.manage's, shared with `anbot feeds`; this module adds
only what Discord knows (is the channel real, of this server, of the right kind).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands

from bot.errors import NotModerator, UserFacingError
from bot.feeds import manage
from feeds.markdown import split_message
from storage import feeds as store

if TYPE_CHECKING:
    from bot.app import AnBot

Interaction = discord.Interaction[Any]
_CHANNEL = re.compile(r"<#(\d{1,20})>|(\d{1,20})")


class FeedGroup(app_commands.Group):
    def __init__(self, bot: AnBot) -> None:
        super().__init__(name="feed", description="Manage the feeds this server follows")
        self.bot = bot

    def _require_manager(self, interaction: Interaction) -> None:
        """Manage Server or a moderator role; called first by every subcommand (an error raised
        in interaction_check would bypass the tree's error handler)."""
        member = interaction.user
        if not isinstance(member, discord.Member) or interaction.guild_id is None:
            raise NotModerator("This command only works inside a server.")
        roles = set(self.bot.settings.moderator_role_ids)
        if interaction.permissions.manage_guild or any(r.id in roles for r in member.roles):
            return
        raise NotModerator(
            "Only moderators can manage feeds: you need the Manage Server permission."
        )

    async def _answer(self, interaction: Interaction, work: Awaitable[str]) -> None:
        if not interaction.response.is_done():
            await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            text = await work
        except manage.FeedInputError as exc:
            raise UserFacingError(str(exc)) from None
        for chunk in split_message(text, 2000):
            await interaction.followup.send(
                chunk, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )

    def _fetcher(self) -> Any:
        return self.bot.settings.feed_fetcher(self.bot.http_session)

    def _channel(self, interaction: Interaction, text: str, mode: str) -> int:
        found = _CHANNEL.fullmatch(text.strip())
        if found is None:
            raise UserFacingError(manage.not_a_channel(text))
        channel_id = int(found.group(1) or found.group(2))
        channel = self.bot.get_channel(channel_id)
        if channel is None:
            raise UserFacingError(manage.unknown_channel(channel_id))
        guild = getattr(channel, "guild", None)
        if guild is None or guild.id != interaction.guild_id:
            raise UserFacingError(manage.other_guild_channel(channel_id))
        kind = discord.ForumChannel if mode == "forum" else discord.TextChannel
        if not isinstance(channel, kind):
            raise UserFacingError(manage.wrong_channel_kind(channel_id, mode))
        return channel_id

    @app_commands.command(name="add", description="Follow a feed: fetched once, then posted here")
    @app_commands.describe(
        url="The feed's http(s) address",
        channel="Where to post: a channel mention (#name) or id",
        mode="forum: a post per summary; thread: a thread per issue",
        ping_role="A role to ping on new posts",
        sections="Only these sections (comma separated)",
        not_sections="Never these sections",
        keywords="Only entries whose title or text has one of these words",
        not_keywords="Never entries with these words",
        backfill="Post the newest n entries now (default: only entries that appear from now on)",
    )
    async def add(
        self,
        interaction: Interaction,
        url: app_commands.Range[str, 1, 500],
        channel: app_commands.Range[str, 1, 100],
        mode: Literal["forum", "thread"] = "forum",
        ping_role: discord.Role | None = None,
        sections: app_commands.Range[str, 1, 300] | None = None,
        not_sections: app_commands.Range[str, 1, 300] | None = None,
        keywords: app_commands.Range[str, 1, 300] | None = None,
        not_keywords: app_commands.Range[str, 1, 300] | None = None,
        backfill: app_commands.Range[int, 0, 50] = 0,
    ) -> None:
        self._require_manager(interaction)
        # Everything that needs no network first: a refusal is immediate and saves nothing.
        try:
            manage.check_url(url)
        except manage.FeedInputError as exc:
            raise UserFacingError(str(exc)) from None
        channel_id = self._channel(interaction, channel, mode)
        route = manage.parse_route(
            channel_id,
            mode=mode,
            ping_role_id=ping_role.id if ping_role is not None else None,
            sections=sections,
            not_sections=not_sections,
            keywords=keywords,
            not_keywords=not_keywords,
        )
        await self._answer(
            interaction,
            manage.add_feed(
                self.bot.db,
                self._fetcher(),
                url=url,
                route=route,
                guild_id=interaction.guild_id,
                max_per_guild=self.bot.settings.max_feeds_per_guild,
                backfill=backfill,
            ),
        )

    @app_commands.command(name="list", description="Every feed: channel, state, last success")
    async def list_(self, interaction: Interaction) -> None:
        self._require_manager(interaction)
        await self._answer(
            interaction,
            manage.list_text(
                self.bot.db,
                guild_id=interaction.guild_id,
                poll_interval=self.bot.settings.poll_interval,
            ),
        )

    @app_commands.command(name="remove", description="Stop a feed; its pending posts are dropped")
    @app_commands.describe(url="The feed's address (pick from the list)")
    async def remove(self, interaction: Interaction, url: str) -> None:
        self._require_manager(interaction)
        await self._answer(
            interaction, manage.remove_feed(self.bot.db, url=url, guild_id=interaction.guild_id)
        )

    @app_commands.command(name="pause", description="Stop polling a feed until resumed")
    @app_commands.describe(url="The feed's address (pick from the list)")
    async def pause(self, interaction: Interaction, url: str) -> None:
        self._require_manager(interaction)
        await self._answer(
            interaction,
            manage.pause_feed(self.bot.db, url=url, paused=True, guild_id=interaction.guild_id),
        )

    @app_commands.command(name="resume", description="Poll a paused feed again")
    @app_commands.describe(url="The feed's address (pick from the list)")
    async def resume(self, interaction: Interaction, url: str) -> None:
        self._require_manager(interaction)
        await self._answer(
            interaction,
            manage.pause_feed(self.bot.db, url=url, paused=False, guild_id=interaction.guild_id),
        )

    @app_commands.command(name="enable", description="Re-enable a disabled feed (fetched first)")
    @app_commands.describe(url="The feed's address (pick from the list)")
    async def enable(self, interaction: Interaction, url: str) -> None:
        self._require_manager(interaction)
        await self._answer(
            interaction,
            manage.enable_feed(
                self.bot.db, self._fetcher(), url=url, guild_id=interaction.guild_id
            ),
        )

    @app_commands.command(name="test", description="Dry run: what the newest entry would post")
    @app_commands.describe(url="The feed's address (pick from the list)")
    async def test(self, interaction: Interaction, url: str) -> None:
        self._require_manager(interaction)
        await self._answer(
            interaction,
            manage.test_feed(self.bot.db, self._fetcher(), url=url, guild_id=interaction.guild_id),
        )

    @app_commands.command(
        name="discuss_channel", description="The forum where /an discuss opens discussions"
    )
    @app_commands.describe(channel="A forum channel: mention it (#name) or give its id")
    async def discuss_channel(
        self, interaction: Interaction, channel: app_commands.Range[str, 1, 100]
    ) -> None:
        self._require_manager(interaction)
        channel_id = self._channel(interaction, channel, "forum")
        await self._answer(
            interaction,
            manage.set_discuss_channel(
                self.bot.db, guild_id=interaction.guild_id or 0, channel_id=channel_id
            ),
        )

    @remove.autocomplete("url")
    @pause.autocomplete("url")
    @resume.autocomplete("url")
    @enable.autocomplete("url")
    @test.autocomplete("url")
    async def _urls(self, interaction: Interaction, current: str) -> list[app_commands.Choice[str]]:
        async with self.bot.db.session() as session:
            feeds = await store.managed_feeds(session, guild_id=interaction.guild_id)
        wanted = current.casefold()
        return [
            app_commands.Choice(name=(f.title or f.url)[:100], value=f.url[:100])
            for f in feeds
            if wanted in f.url.casefold() or wanted in (f.title or "").casefold()
        ][:25]

"""`/an web publish|unpublish`, `/an privacy`, and keeping the archive's view of channels true.

Consent: a moderator with Manage Server opts a channel in (`/an web publish #channel`); nothing
is public by default. Visibility: whether @everyone can read a channel is computed here from
discord.py's permission data (the @everyone role's permissions with the channel's overwrites,
`channel.permissions_for(guild.default_role)`), on start, on every channel and role change;
a deleted thread, a deleted channel or a private thread is marked so storage.web_archive never
publishes it. A member hides their own comments with `/an privacy web:hide`.

The commands hang under the existing `/an` group (bot/cogs/commands.py owns it), added when
this extension loads: Discord allows one top-level `/an`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from bot.errors import NotModerator, UserFacingError
from bot.logging import get_logger
from storage import web_archive as wa

if TYPE_CHECKING:
    from bot.app import AnBot

log = get_logger(__name__)
Interaction = discord.Interaction[Any]
Published = discord.ForumChannel | discord.TextChannel


def everyone_can_read(channel: discord.abc.GuildChannel) -> bool:
    """@everyone may view the channel and read its history (threads follow their parent)."""
    perms = channel.permissions_for(channel.guild.default_role)
    return perms.view_channel and perms.read_message_history


def _require_manage_server(interaction: Interaction) -> discord.Member:
    member = interaction.user
    if not isinstance(member, discord.Member) or interaction.guild is None:
        raise NotModerator("This command only works inside a server.")
    if not member.guild_permissions.manage_guild:
        raise NotModerator("Only members with the Manage Server permission can do this.")
    return member


web_group = app_commands.Group(name="web", description="The public web archive of discussions")


class Archive(commands.Cog):
    def __init__(self, bot: AnBot) -> None:
        self.bot = bot

    # --- visibility tracking -----------------------------------------------------------------

    async def record_channel(self, channel: discord.abc.GuildChannel) -> None:
        if not isinstance(channel, Published):
            return
        async with self.bot.db.session() as session:
            await wa.set_channel_access(
                session,
                channel_id=channel.id,
                guild_id=channel.guild.id,
                name=channel.name,
                everyone_can_read=everyone_can_read(channel),
            )
            await session.commit()

    async def record_guild(self, guild: discord.Guild) -> None:
        for channel in guild.channels:
            await self.record_channel(channel)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        await self.record_guild(guild)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.record_guild(guild)

    @commands.Cog.listener()
    async def on_guild_channel_create(self, channel: discord.abc.GuildChannel) -> None:
        await self.record_channel(channel)

    @commands.Cog.listener()
    async def on_guild_channel_update(
        self, _before: discord.abc.GuildChannel, after: discord.abc.GuildChannel
    ) -> None:
        await self.record_channel(after)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        async with self.bot.db.session() as session:
            await wa.set_channel_access(
                session,
                channel_id=channel.id,
                guild_id=channel.guild.id,
                name=channel.name,
                everyone_can_read=False,
            )
            await session.commit()

    @commands.Cog.listener()
    async def on_guild_role_update(self, _before: discord.Role, after: discord.Role) -> None:
        if after.is_default():  # @everyone's own permissions changed: every channel may have
            await self.record_guild(after.guild)

    @commands.Cog.listener()
    async def on_raw_thread_delete(self, payload: discord.RawThreadDeleteEvent) -> None:
        async with self.bot.db.session() as session:
            await wa.set_thread_state(session, thread_id=payload.thread_id, deleted=True)
            await session.commit()

    @commands.Cog.listener()
    async def on_thread_create(self, thread: discord.Thread) -> None:
        if thread.is_private():
            async with self.bot.db.session() as session:
                await wa.set_thread_state(session, thread_id=thread.id, private=True)
                await session.commit()

    # --- commands ------------------------------------------------------------------------------

    async def set_published(
        self, interaction: Interaction, channel: app_commands.AppCommandChannel, publish: bool
    ) -> str:
        _require_manage_server(interaction)
        assert interaction.guild is not None
        full = interaction.guild.get_channel(channel.id)
        if not isinstance(full, Published):
            raise UserFacingError("Choose a forum or text channel of this server.")
        readable = everyone_can_read(full)
        async with self.bot.db.session() as session:
            await wa.set_published(
                session,
                channel_id=full.id,
                guild_id=interaction.guild.id,
                name=full.name,
                published=publish,
                everyone_can_read=readable,
            )
            await session.commit()
        if not publish:
            return f"{full.mention} is no longer published: its threads leave the web archive."
        if not readable:
            return (
                f"{full.mention} is published, but @everyone cannot read it, so nothing of it "
                "appears on the web until they can."
            )
        return f"{full.mention} is published: its public threads appear in the web archive."


@web_group.command(name="publish", description="Publish a channel's threads in the web archive")
@app_commands.describe(channel="A forum or text channel @everyone can read")
@app_commands.default_permissions(manage_guild=True)
async def web_publish(interaction: Interaction, channel: app_commands.AppCommandChannel) -> None:
    text = await _cog(interaction).set_published(interaction, channel, True)
    await interaction.response.send_message(text, ephemeral=True)


@web_group.command(name="unpublish", description="Remove a channel from the web archive")
@app_commands.default_permissions(manage_guild=True)
async def web_unpublish(interaction: Interaction, channel: app_commands.AppCommandChannel) -> None:
    text = await _cog(interaction).set_published(interaction, channel, False)
    await interaction.response.send_message(text, ephemeral=True)


@app_commands.command(name="privacy", description="Choose whether your comments show on the web")
@app_commands.describe(web="hide: your comments read 'hidden by its author'; show: shown")
async def privacy(interaction: Interaction, web: Literal["hide", "show"]) -> None:
    cog = _cog(interaction)
    async with cog.bot.db.session() as session:
        await wa.set_member_hidden(session, user_id=interaction.user.id, hidden=web == "hide")
        await session.commit()
    text = (
        "Your comments are hidden from the web archive (replies to them stay)."
        if web == "hide"
        else "Your comments show in the web archive of published channels again."
    )
    await interaction.response.send_message(text, ephemeral=True)


def _cog(interaction: Interaction) -> Archive:
    cog = interaction.client.get_cog("Archive")
    assert isinstance(cog, Archive)
    return cog

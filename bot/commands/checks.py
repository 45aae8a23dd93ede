"""Run-time permission checks for slash commands.

`default_permissions` only hides a command (a server admin can grant it to anyone, and Discord
honours it on top-level commands only, hence the `/an-mod` group), so moderator-only commands
check again when they run.
"""

from __future__ import annotations

from typing import Any

import discord

from bot.errors import CannotSeeThread, NotModerator

ThreadLike = discord.Thread | discord.abc.GuildChannel


def _member(interaction: discord.Interaction[Any]) -> discord.Member:
    user = interaction.user
    if not isinstance(user, discord.Member):
        raise NotModerator("This command only works inside a server.")
    return user


def is_moderator(
    interaction: discord.Interaction[Any], channel: ThreadLike, role_ids: list[int]
) -> bool:
    """Manage Threads in `channel` (for a thread: its parent's overwrites), or a moderator role."""
    member = _member(interaction)
    if any(role.id in role_ids for role in member.roles):
        return True
    return channel.permissions_for(member).manage_threads


def require_moderator(
    interaction: discord.Interaction[Any], channel: ThreadLike, role_ids: list[int]
) -> None:
    if not is_moderator(interaction, channel, role_ids):
        raise NotModerator(
            "Only moderators can do this: you need the Manage Threads permission in "
            f"{channel.mention} or a moderator role."
        )


def can_read(member: discord.Member, thread: discord.Thread) -> bool:
    """View Channel and Read Message History in the thread's parent (a private thread also
    needs Manage Threads, since the bot does not know the thread's member list)."""
    perms = thread.permissions_for(member)
    if not (perms.view_channel and perms.read_message_history):
        return False
    if thread.type is discord.ChannelType.private_thread and thread.owner_id != member.id:
        return perms.manage_threads
    return True


def require_readable(interaction: discord.Interaction[Any], thread: discord.Thread) -> None:
    """Refuse, without naming the thread, when the invoker cannot read it."""
    member = _member(interaction)
    if thread.guild.id != interaction.guild_id or not can_read(member, thread):
        raise CannotSeeThread()

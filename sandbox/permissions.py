"""Permission bits and Discord's documented permission computation.

Base permissions = @everyone role | member roles (ADMINISTRATOR or ownership grants all);
then channel overwrites apply in order @everyone, roles (combined), member. Threads use their
parent channel's overwrites.
"""

from __future__ import annotations

from enum import IntFlag

from sandbox.models import Channel, Guild


class P(IntFlag):
    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CHANGE_NICKNAME = 1 << 26
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    USE_APPLICATION_COMMANDS = 1 << 31
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    SEND_MESSAGES_IN_THREADS = 1 << 38


ALL = (1 << 51) - 1

# What @everyone gets in a fresh Discord server (the documented defaults, roughly).
DEFAULT_EVERYONE = int(
    P.CREATE_INSTANT_INVITE
    | P.ADD_REACTIONS
    | P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.USE_EXTERNAL_EMOJIS
    | P.CHANGE_NICKNAME
    | P.USE_APPLICATION_COMMANDS
    | P.CREATE_PUBLIC_THREADS
    | P.SEND_MESSAGES_IN_THREADS
)


def base_permissions(guild: Guild, user_id: int) -> int:
    if user_id == guild.owner_id:
        return ALL
    member = guild.members.get(user_id)
    if member is None:
        return 0
    perms = guild.roles[guild.id].permissions
    for role_id in member.roles:
        role = guild.roles.get(role_id)
        if role is not None:
            perms |= role.permissions
    if perms & P.ADMINISTRATOR:
        return ALL
    return perms


def channel_permissions(
    guild: Guild, channel: Channel, user_id: int, parent: Channel | None
) -> int:
    """Permissions of ``user_id`` in ``channel`` (``parent`` given when it is a thread)."""
    perms = base_permissions(guild, user_id)
    if perms & P.ADMINISTRATOR:
        return ALL
    member = guild.members.get(user_id)
    if member is None:
        return 0
    source = parent if channel.is_thread and parent is not None else channel
    overwrites = source.overwrites
    everyone = overwrites.get(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    for role_id in member.roles:
        ow = overwrites.get(role_id)
        if ow is not None:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    own = overwrites.get(user_id)
    if own is not None:
        perms = (perms & ~own.deny) | own.allow
    if not perms & P.VIEW_CHANNEL:
        return 0  # Discord: no view means no other permission in the channel either
    if channel.is_thread:
        # In threads SEND_MESSAGES is replaced by SEND_MESSAGES_IN_THREADS.
        if perms & P.SEND_MESSAGES_IN_THREADS:
            perms |= P.SEND_MESSAGES
        else:
            perms &= ~P.SEND_MESSAGES
    return perms

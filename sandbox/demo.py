"""The demo guild: a forum, a text channel, a hidden moderators' channel, a mod-log channel,
a moderator (mira) and members alice, bob, carol, dave, eve; the bot sees everything."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.models import ChannelType, Overwrite
from sandbox.permissions import P
from sandbox.state import World

MODERATOR_PERMISSIONS = int(
    P.MANAGE_THREADS | P.MANAGE_MESSAGES | P.MENTION_EVERYONE | P.VIEW_AUDIT_LOG | P.MANAGE_GUILD
)
BOT_PERMISSIONS = int(
    P.VIEW_CHANNEL
    | P.SEND_MESSAGES
    | P.SEND_MESSAGES_IN_THREADS
    | P.CREATE_PUBLIC_THREADS
    | P.MANAGE_THREADS
    | P.MANAGE_CHANNELS
    | P.MANAGE_MESSAGES
    | P.EMBED_LINKS
    | P.ATTACH_FILES
    | P.READ_MESSAGE_HISTORY
    | P.ADD_REACTIONS
    | P.USE_APPLICATION_COMMANDS
)


@dataclass(frozen=True)
class DemoGuild:
    guild_id: int
    forum_channel_id: int
    text_channel_id: int
    hidden_channel_id: int
    mod_log_channel_id: int
    moderator_role_id: int
    bot_role_id: int
    bot_user_id: int
    application_id: int
    owner_id: int
    mira: int
    alice: int
    bob: int
    carol: int
    dave: int
    eve: int

    @property
    def members(self) -> dict[str, int]:
        return {
            "alice": self.alice,
            "bob": self.bob,
            "carol": self.carol,
            "dave": self.dave,
            "eve": self.eve,
        }


def build_demo_world(
    *, forum_tags: tuple[str, ...] = ("Announcements",)
) -> tuple[World, DemoGuild]:
    world = World()
    owner = world.add_user("olivia", global_name="Olivia (owner)")
    guild = world.add_guild("Alignment Newsletter", owner.id)
    mod_role = world.add_role(guild.id, "Moderator", MODERATOR_PERMISSIONS, mentionable=True)
    bot_role = world.add_role(guild.id, "anbot", BOT_PERMISSIONS, managed=True)
    world.add_member(guild.id, world.bot_user_id, [bot_role.id])

    users = {}
    for name in ("mira", "alice", "bob", "carol", "dave", "eve"):
        u = world.add_user(name, global_name=name.capitalize())
        world.add_member(guild.id, u.id, [mod_role.id] if name == "mira" else [])
        users[name] = u.id

    forum = world.add_channel(
        guild.id,
        "newsletter",
        ChannelType.GUILD_FORUM,
        topic="One post per summary",
        available_tags=forum_tags,
    )
    text = world.add_channel(guild.id, "general", ChannelType.GUILD_TEXT)
    staff_only = [
        Overwrite(id=guild.id, type=0, deny=int(P.VIEW_CHANNEL)),
        Overwrite(id=mod_role.id, type=0, allow=int(P.VIEW_CHANNEL)),
        Overwrite(id=bot_role.id, type=0, allow=int(P.VIEW_CHANNEL)),
    ]
    hidden = world.add_channel(
        guild.id, "moderators", ChannelType.GUILD_TEXT, overwrites=staff_only
    )
    mod_log = world.add_channel(guild.id, "mod-log", ChannelType.GUILD_TEXT, overwrites=staff_only)
    demo = DemoGuild(
        guild_id=guild.id,
        forum_channel_id=forum.id,
        text_channel_id=text.id,
        hidden_channel_id=hidden.id,
        mod_log_channel_id=mod_log.id,
        moderator_role_id=mod_role.id,
        bot_role_id=bot_role.id,
        bot_user_id=world.bot_user_id,
        application_id=world.application_id,
        owner_id=owner.id,
        **users,
    )
    return world, demo

"""Builders of Discord JSON payloads (shapes from Discord's API documentation and OpenAPI
spec; the test suite checks every REST answer against the spec, sandbox/contract.py).

Every field discord.py 2.7 reads without a default is present: thread ``thread_metadata``,
``message_count``, ``member_count``; user ``username``/``discriminator``/``avatar``; member
``roles``/``flags``. A REST message has no ``member`` and no ``guild_id`` (those are gateway
only), so discord.py makes its ``author`` a ``User``, as on Discord.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.models import Attachment, Channel, Guild, Member, Message, Role, User
from sandbox.snowflake import iso, snowflake_time

if TYPE_CHECKING:
    from sandbox.state import World

JsonDict = dict[str, Any]


def user(u: User) -> JsonDict:
    return {
        "id": str(u.id),
        "username": u.username,
        "global_name": u.global_name,
        "discriminator": u.discriminator,
        "avatar": u.avatar,
        "bot": u.bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "collectibles": None,
        "primary_guild": None,
    }


def current_user(u: User) -> JsonDict:
    """GET /users/@me: the user plus what only its owner sees."""
    return {**user(u), "mfa_enabled": False, "locale": "en-US", "premium_type": 0}


def member(world: World, m: Member, *, with_user: bool = True) -> JsonDict:
    data: JsonDict = {
        "roles": [str(r) for r in m.roles],
        "nick": m.nick,
        "avatar": None,
        "banner": None,
        "joined_at": iso(m.joined_at),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }
    if with_user:
        data["user"] = user(world.users[m.user_id])
    return data


def role(r: Role) -> JsonDict:
    return {
        "id": str(r.id),
        "name": r.name,
        "color": r.color,
        "colors": {"primary_color": r.color, "secondary_color": None, "tertiary_color": None},
        "hoist": r.hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": r.position,
        "permissions": str(r.permissions),
        "managed": r.managed,
        "mentionable": r.mentionable,
        "flags": 0,
    }


def _overwrites(c: Channel) -> list[JsonDict]:
    return [
        {"id": str(o.id), "type": o.type, "allow": str(o.allow), "deny": str(o.deny)}
        for o in c.overwrites.values()
    ]


def channel(c: Channel) -> JsonDict:
    if c.is_thread:
        return thread(c)
    data: JsonDict = {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "name": c.name,
        "position": c.position,
        "permission_overwrites": _overwrites(c),
        "parent_id": str(c.parent_id) if c.parent_id else None,
        "nsfw": False,
        "topic": c.topic,
        "rate_limit_per_user": c.rate_limit_per_user,
        "last_message_id": str(c.last_message_id) if c.last_message_id else None,
        "default_auto_archive_duration": c.default_auto_archive_duration,
        "flags": c.flags,
    }
    if c.type == 15:
        data["available_tags"] = [dict(t) for t in c.available_tags]
        data["default_reaction_emoji"] = None
        data["default_sort_order"] = None
        data["default_forum_layout"] = 0
        data["default_thread_rate_limit_per_user"] = 0
    return data


def thread(c: Channel) -> JsonDict:
    archive_ts = c.archive_timestamp or c.created_at or snowflake_time(c.id)
    return {
        "id": str(c.id),
        "type": c.type,
        "guild_id": str(c.guild_id),
        "parent_id": str(c.parent_id),
        "owner_id": str(c.owner_id),
        "name": c.name,
        "last_message_id": str(c.last_message_id) if c.last_message_id else None,
        "rate_limit_per_user": c.rate_limit_per_user,
        "message_count": c.message_count,
        "member_count": len(c.thread_members),
        "total_message_sent": c.total_message_sent,
        "flags": c.flags,
        "applied_tags": [str(t) for t in c.applied_tags],
        "thread_metadata": {
            "archived": c.archived,
            "auto_archive_duration": c.auto_archive_duration,
            "archive_timestamp": iso(archive_ts),
            "locked": c.locked,
            "invitable": True,
            "create_timestamp": iso(c.created_at or snowflake_time(c.id)),
        },
    }


def thread_member(c: Channel, user_id: int) -> JsonDict:
    return {
        "id": str(c.id),
        "user_id": str(user_id),
        "join_timestamp": iso(c.created_at or snowflake_time(c.id)),
        "flags": 0,
    }


def attachment(a: Attachment, base_url: str, channel_id: int) -> JsonDict:
    url = f"{base_url}/attachments/{channel_id}/{a.id}/{a.filename}"
    data: JsonDict = {
        "id": str(a.id),
        "filename": a.filename,
        "size": len(a.data),
        "url": url,
        "proxy_url": url,
        "flags": 0,
    }
    # Discord omits what the uploader did not give rather than sending null
    if a.description is not None:
        data["description"] = a.description
    if a.content_type is not None:
        data["content_type"] = a.content_type
    return data


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value]
    return value


def embed(sent: JsonDict) -> JsonDict:
    """An embed as Discord answers it: nulls dropped, ``type`` "rich" unless given, every
    field with its ``inline`` flag."""
    data: JsonDict = {"type": "rich", **_without_nulls(sent)}
    if "fields" in data:
        data["fields"] = [{"inline": False, **f} for f in data["fields"]]
    return data


def components(raw: list[JsonDict]) -> list[JsonDict]:
    """Components as Discord answers them: each carries a numeric ``id``, given in order
    (depth first, from 1) to those the sender left without one."""
    taken = set()

    def ids(items: list[JsonDict]) -> None:
        for c in items:
            if isinstance(c.get("id"), int):
                taken.add(c["id"])
            ids(c.get("components") or [])

    ids(raw)
    counter = 0

    def number(items: list[JsonDict]) -> list[JsonDict]:
        nonlocal counter
        out = []
        for c in items:
            c = dict(c)
            if not isinstance(c.get("id"), int):
                counter += 1
                while counter in taken:
                    counter += 1
                c["id"] = counter
            if "components" in c:
                c["components"] = number(c["components"] or [])
            out.append(c)
        return out

    return number(raw)


def _reactions(world: World, m: Message) -> list[JsonDict]:
    out = []
    for key, users in m.reactions.items():
        if not users:
            continue
        name, _, emoji_id = key.partition(":")
        out.append(
            {
                "count": len(users),
                "count_details": {"burst": 0, "normal": len(users)},
                "me": world.bot_user_id in users,
                "me_burst": False,
                "burst_colors": [],
                "emoji": {"id": emoji_id or None, "name": name},
            }
        )
    return out


def message(
    world: World,
    m: Message,
    *,
    nested: bool = True,
    internal: bool = False,
    gateway: bool = False,
) -> JsonDict:
    """A message object as REST answers it; ``gateway`` adds what only MESSAGE_CREATE/UPDATE
    carry (``guild_id`` and the author's ``member``); ``nested`` adds ``referenced_message``
    for replies; ``internal`` adds what only the sandbox knows (the ``allowed_mentions`` the
    sender used)."""
    author = world.users[m.author_id]
    guild = world.guilds.get(m.guild_id)
    data: JsonDict = {
        "id": str(m.id),
        "type": m.type,
        "channel_id": str(m.channel_id),
        "author": user(author),
        "content": m.content,
        "timestamp": iso(m.created_at),
        "edited_timestamp": iso(m.edited_at) if m.edited_at else None,
        "tts": m.tts,
        "mention_everyone": m.mention_everyone,
        "mentions": [user(world.users[u]) for u in m.mentions if u in world.users],
        "mention_roles": [str(r) for r in m.mention_roles],
        "attachments": [attachment(a, world.base_url, m.channel_id) for a in m.attachments],
        "embeds": [embed(e) for e in m.embeds],
        "components": components(m.components),
        "reactions": _reactions(world, m),
        "pinned": m.pinned,
        "flags": m.flags,
    }
    if gateway or internal:
        data["guild_id"] = str(m.guild_id)
    member_of_author = guild.members.get(m.author_id) if guild is not None else None
    if (gateway or internal) and member_of_author is not None and m.webhook_id is None:
        data["member"] = member(world, member_of_author, with_user=False)
    if m.nonce is not None:
        data["nonce"] = m.nonce
    if m.webhook_id is not None:
        data["webhook_id"] = str(m.webhook_id)
    if m.application_id is not None:
        data["application_id"] = str(m.application_id)
    if m.interaction_metadata is not None:
        data["interaction_metadata"] = dict(m.interaction_metadata)
    if m.message_reference is not None:
        data["message_reference"] = dict(m.message_reference)
        ref_id = m.message_reference.get("message_id")
        ref_type = m.message_reference.get("type", 0)
        if nested and ref_type == 0 and ref_id is not None and m.type in (19, 21):
            ref = world.messages.get(int(ref_id))
            data["referenced_message"] = (
                message(world, ref, nested=False) if ref is not None and not ref.deleted else None
            )
    if m.message_snapshots is not None:
        data["message_snapshots"] = [dict(s) for s in m.message_snapshots]
    ch = world.channels.get(m.channel_id)
    if ch is not None and ch.is_thread and ch.id == m.id:
        data["position"] = 0
    if internal:
        data["allowed_mentions"] = m.allowed_mentions
        data["deleted"] = m.deleted
        data["ephemeral"] = m.ephemeral
    return data


def guild_create(world: World, g: Guild, *, with_members: bool) -> JsonDict:
    """GUILD_CREATE: channels, active threads, roles, and members (all members only with the
    GUILD_MEMBERS intent; otherwise just the bot, as Discord does)."""
    members = [
        member(world, m)
        for m in g.members.values()
        if with_members or m.user_id == world.bot_user_id
    ]
    channels = [
        channel(c) for c in world.channels.values() if c.guild_id == g.id and not c.is_thread
    ]
    threads = [
        thread(c)
        for c in world.channels.values()
        if c.guild_id == g.id and c.is_thread and not c.archived
    ]
    return {
        **guild_info(g),
        "roles": [role(r) for r in g.roles.values()],
        "members": members,
        "member_count": len(g.members),
        "channels": channels,
        "threads": threads,
        "large": False,
        "unavailable": False,
        "joined_at": iso(snowflake_time(g.id)),
        "voice_states": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def guild_info(g: Guild) -> JsonDict:
    return {
        "id": str(g.id),
        "name": g.name,
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(g.owner_id),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "emojis": [],
        "stickers": [],
        "features": [],
        "mfa_level": 0,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "nsfw_level": 0,
        "premium_progress_bar_enabled": False,
        "application_id": None,
        "max_members": 500000,
    }


APPLICATION_FLAGS = 1 << 18 | 1 << 14  # GATEWAY_MESSAGE_CONTENT + GATEWAY_GUILD_MEMBERS


def application(world: World) -> JsonDict:
    bot = world.users[world.bot_user_id]
    owner_id = next((g.owner_id for g in world.guilds.values()), world.bot_user_id)
    return {
        "id": str(world.application_id),
        "name": bot.username,
        "icon": None,
        "description": "anbot sandbox application",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "bot": user(bot),
        "owner": user(world.users[owner_id]),
        "team": None,
        "type": None,
        "verify_key": "0" * 64,
        "flags": APPLICATION_FLAGS,
        "flags_new": str(APPLICATION_FLAGS),
        "summary": "",
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "approximate_guild_count": len(world.guilds),
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "eligible_oauth2_scopes": ["bot", "applications.commands"],
    }

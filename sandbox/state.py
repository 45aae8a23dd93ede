"""The World: users, guilds, channels, threads and messages the sandbox serves.

Every change goes through a World method, which stores it (so it survives bot disconnects)
and emits the matching gateway event to subscribers (the gateway hub). Reads return
Discord-shaped dicts so tests assert on what Discord would show.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sandbox import payloads
from sandbox.errors import ApiError, unknown_channel, unknown_guild, unknown_message, unknown_user
from sandbox.mentions import compute_mentions
from sandbox.models import (
    Attachment,
    Channel,
    ChannelType,
    Guild,
    Member,
    Message,
    MessageType,
    Overwrite,
    Role,
    User,
)
from sandbox.permissions import DEFAULT_EVERYONE, P, channel_permissions
from sandbox.snowflake import SnowflakeGenerator, snowflake_time

JsonDict = dict[str, Any]


@dataclass(frozen=True)
class Event:
    """A gateway dispatch: ``name`` (t), ``data`` (d), and routing facts."""

    name: str
    data: JsonDict
    guild_id: int | None = None
    channel_id: int | None = None  # only sessions whose user can view it receive the event


Listener = Callable[[Event], None]


def _now() -> datetime:
    return datetime.now(UTC)


class World:
    def __init__(self) -> None:
        self.ids = SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self._history: dict[int, list[int]] = {}  # channel id -> message ids, ascending
        self._nonces: dict[tuple[int, str], int] = {}
        self._listeners: list[Listener] = []
        self.base_url = "http://127.0.0.1"  # set by the server once it listens
        self.bot = self.add_user("anbot", bot=True)
        self.bot_user_id = self.bot.id
        self.application_id = self.bot.id  # Discord: a bot's application id is its user id
        self.global_commands: list[JsonDict] = []
        self.guild_commands: dict[int, list[JsonDict]] = {}

    # -- events -------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def emit(self, event: Event) -> None:
        for listener in list(self._listeners):
            listener(event)

    # -- lookups ------------------------------------------------------------------------
    def get_channel(self, channel_id: int) -> Channel:
        try:
            return self.channels[int(channel_id)]
        except KeyError:
            raise unknown_channel() from None

    def get_message(self, channel_id: int, message_id: int) -> Message:
        msg = self.messages.get(int(message_id))
        if msg is None or msg.deleted or msg.channel_id != int(channel_id) or msg.ephemeral:
            raise unknown_message()
        return msg

    def get_guild(self, guild_id: int) -> Guild:
        try:
            return self.guilds[int(guild_id)]
        except KeyError:
            raise unknown_guild() from None

    def get_user(self, user_id: int) -> User:
        try:
            return self.users[int(user_id)]
        except KeyError:
            raise unknown_user() from None

    def user_named(self, name: str) -> User:
        for u in self.users.values():
            if u.username == name:
                return u
        raise KeyError(
            f"no sandbox user named {name!r}; known: {[u.username for u in self.users.values()]}"
        )

    def permissions(self, user_id: int, channel_id: int) -> int:
        ch = self.get_channel(channel_id)
        guild = self.guilds[ch.guild_id]
        parent = self.channels.get(ch.parent_id) if ch.parent_id else None
        return channel_permissions(guild, ch, user_id, parent)

    def can(self, user_id: int, channel_id: int, perm: P) -> bool:
        return self.permissions(user_id, channel_id) & perm == perm

    # -- read-back for tests ------------------------------------------------------------
    def message(self, message_id: int) -> JsonDict:
        msg = self.messages.get(int(message_id))
        if msg is None:
            raise unknown_message()
        return payloads.message(self, msg, internal=True)

    def channel(self, channel_id: int) -> JsonDict:
        return payloads.channel(self.get_channel(channel_id))

    def messages_in(self, channel_id: int, *, include_deleted: bool = False) -> list[JsonDict]:
        """Messages of a channel or thread, oldest first."""
        out = []
        for mid in self._history.get(int(channel_id), []):
            msg = self.messages[mid]
            if msg.deleted and not include_deleted:
                continue
            out.append(payloads.message(self, msg, internal=True))
        return out

    def history_ids(self, channel_id: int) -> list[int]:
        """Ids of live (not deleted) messages in a channel, ascending."""
        return [m for m in self._history.get(int(channel_id), []) if not self.messages[m].deleted]

    def threads_in(self, parent_id: int, *, archived: bool | None = None) -> list[JsonDict]:
        return [
            payloads.thread(c)
            for c in self.channels.values()
            if c.parent_id == int(parent_id)
            and c.is_thread
            and (archived is None or c.archived == archived)
        ]

    # -- setup --------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        *,
        bot: bool = False,
        global_name: str | None = None,
        id: int | None = None,
    ) -> User:
        u = User(id=id or self.ids.next(), username=username, global_name=global_name, bot=bot)
        self.users[u.id] = u
        return u

    def add_guild(
        self, name: str, owner_id: int, *, everyone_permissions: int = DEFAULT_EVERYONE
    ) -> Guild:
        gid = self.ids.next()
        g = Guild(id=gid, name=name, owner_id=owner_id)
        g.roles[gid] = Role(id=gid, name="@everyone", permissions=everyone_permissions)
        self.guilds[gid] = g
        self.add_member(gid, owner_id)
        return g

    def add_role(
        self,
        guild_id: int,
        name: str,
        permissions: int = 0,
        *,
        mentionable: bool = False,
        managed: bool = False,
    ) -> Role:
        g = self.get_guild(guild_id)
        r = Role(
            id=self.ids.next(),
            name=name,
            permissions=int(permissions),
            position=len(g.roles),
            mentionable=mentionable,
            managed=managed,
        )
        g.roles[r.id] = r
        self.emit(
            Event("GUILD_ROLE_CREATE", {"guild_id": str(g.id), "role": payloads.role(r)}, g.id)
        )
        return r

    def add_member(self, guild_id: int, user_id: int, roles: Iterable[int] = ()) -> Member:
        g = self.get_guild(guild_id)
        self.get_user(user_id)
        m = Member(user_id=user_id, roles=[int(r) for r in roles], joined_at=_now())
        g.members[user_id] = m
        return m

    def add_channel(
        self,
        guild_id: int,
        name: str,
        type: int = ChannelType.GUILD_TEXT,
        *,
        parent_id: int | None = None,
        topic: str | None = None,
        overwrites: Iterable[Overwrite] = (),
        available_tags: Iterable[str | JsonDict] = (),
    ) -> Channel:
        g = self.get_guild(guild_id)
        ch = Channel(
            id=self.ids.next(),
            guild_id=g.id,
            type=int(type),
            name=name,
            position=sum(
                1 for c in self.channels.values() if c.guild_id == g.id and not c.is_thread
            ),
            parent_id=parent_id,
            topic=topic,
            overwrites={o.id: o for o in overwrites},
        )
        ch.available_tags = [self.make_tag(t) for t in available_tags]
        self.channels[ch.id] = ch
        self._history[ch.id] = []
        self.emit(Event("CHANNEL_CREATE", payloads.channel(ch), g.id))
        return ch

    def make_tag(self, tag: str | JsonDict) -> JsonDict:
        spec = {"name": tag} if isinstance(tag, str) else dict(tag)
        return {
            "id": str(spec.get("id") or self.ids.next()),
            "name": spec["name"],
            "moderated": bool(spec.get("moderated", False)),
            "emoji_id": spec.get("emoji_id"),
            "emoji_name": spec.get("emoji_name"),
        }

    def set_overwrite(
        self, channel_id: int, target_id: int, *, type: int, allow: int = 0, deny: int = 0
    ) -> None:
        ch = self.get_channel(channel_id)
        ch.overwrites[int(target_id)] = Overwrite(
            id=int(target_id), type=type, allow=allow, deny=deny
        )
        self._emit_channel_update(ch)

    # -- channels and threads -----------------------------------------------------------
    def _emit_channel_update(self, ch: Channel) -> None:
        name = "THREAD_UPDATE" if ch.is_thread else "CHANNEL_UPDATE"
        self.emit(Event(name, payloads.channel(ch), ch.guild_id))

    def update_channel(self, channel_id: int, fields: JsonDict) -> Channel:
        """Apply a PATCH /channels body (already validated) and emit the update."""
        ch = self.get_channel(channel_id)
        if "name" in fields:
            ch.name = str(fields["name"])
        if "topic" in fields:
            ch.topic = fields["topic"]
        if "available_tags" in fields and ch.type == ChannelType.GUILD_FORUM:
            ch.available_tags = [self.make_tag(t) for t in fields["available_tags"]]
        if "applied_tags" in fields and ch.is_thread:
            ch.applied_tags = [int(t) for t in fields["applied_tags"]]
        if "locked" in fields and ch.is_thread:
            ch.locked = bool(fields["locked"])
        if "auto_archive_duration" in fields and ch.is_thread:
            ch.auto_archive_duration = int(fields["auto_archive_duration"])
        if "rate_limit_per_user" in fields and fields["rate_limit_per_user"] is not None:
            ch.rate_limit_per_user = int(fields["rate_limit_per_user"])
        if "flags" in fields and fields["flags"] is not None:
            ch.flags = int(fields["flags"])
        if "archived" in fields and ch.is_thread and bool(fields["archived"]) != ch.archived:
            ch.archived = bool(fields["archived"])
            ch.archive_timestamp = _now()
        self._emit_channel_update(ch)
        return ch

    def archive_thread(self, thread_id: int, *, locked: bool | None = None) -> Channel:
        fields: JsonDict = {"archived": True}
        if locked is not None:
            fields["locked"] = locked
        return self.update_channel(thread_id, fields)

    def unarchive_thread(self, thread_id: int) -> Channel:
        return self.update_channel(thread_id, {"archived": False})

    def delete_channel(self, channel_id: int) -> Channel:
        ch = self.get_channel(channel_id)
        del self.channels[ch.id]
        if ch.is_thread:
            data = {
                "id": str(ch.id),
                "guild_id": str(ch.guild_id),
                "parent_id": str(ch.parent_id),
                "type": ch.type,
            }
            self.emit(Event("THREAD_DELETE", data, ch.guild_id))
        else:
            self.emit(Event("CHANNEL_DELETE", payloads.channel(ch), ch.guild_id))
        return ch

    def create_thread(
        self,
        parent_id: int,
        name: str,
        owner_id: int,
        *,
        type: int = ChannelType.PUBLIC_THREAD,
        thread_id: int | None = None,
        applied_tags: Iterable[int] = (),
        auto_archive_duration: int | None = None,
        rate_limit_per_user: int = 0,
        at: datetime | None = None,
    ) -> Channel:
        """Create a thread and emit THREAD_CREATE (as Discord does, also for REST creates).
        ``thread_id`` is the starter message's id for threads started from a message."""
        parent = self.get_channel(parent_id)
        tid = int(thread_id) if thread_id is not None else self.ids.next(at)
        created = snowflake_time(tid)
        th = Channel(
            id=tid,
            guild_id=parent.guild_id,
            type=int(type),
            name=name,
            parent_id=parent.id,
            owner_id=owner_id,
            applied_tags=[int(t) for t in applied_tags],
            auto_archive_duration=auto_archive_duration or parent.default_auto_archive_duration,
            rate_limit_per_user=rate_limit_per_user,
            created_at=created,
            archive_timestamp=created,
            thread_members=[owner_id],
        )
        self.channels[tid] = th
        self._history[tid] = []
        data = payloads.thread(th)
        data["newly_created"] = True
        if owner_id == self.bot_user_id:
            data["member"] = payloads.thread_member(th, owner_id)
        self.emit(Event("THREAD_CREATE", data, th.guild_id, th.id))
        return th

    # -- messages -----------------------------------------------------------------------
    def create_message(
        self,
        channel_id: int,
        author_id: int,
        content: str = "",
        *,
        message_id: int | None = None,
        type: int | None = None,
        embeds: Iterable[JsonDict] = (),
        attachments: Iterable[Attachment] = (),
        components: Iterable[JsonDict] = (),
        flags: int = 0,
        reply_to: int | None = None,
        message_reference: JsonDict | None = None,
        message_snapshots: list[JsonDict] | None = None,
        allowed_mentions: JsonDict | None = None,
        nonce: str | int | None = None,
        enforce_nonce: bool = False,
        tts: bool = False,
        webhook_id: int | None = None,
        application_id: int | None = None,
        interaction_metadata: JsonDict | None = None,
        ephemeral: bool = False,
        at: datetime | None = None,
    ) -> Message:
        ch = self.get_channel(channel_id)
        if enforce_nonce and nonce is not None:
            existing = self._nonces.get((author_id, str(nonce)))
            if existing is not None and not self.messages[existing].deleted:
                return self.messages[existing]
        if reply_to is not None:
            self.get_message(ch.id, reply_to)  # a reply needs an existing target
            message_reference = {
                "type": 0,
                "message_id": str(reply_to),
                "channel_id": str(ch.id),
                "guild_id": str(ch.guild_id),
            }
        if type is None:
            type = (
                MessageType.REPLY
                if message_reference and message_reference.get("type", 0) == 0
                else 0
            )
        created = at or _now()
        mid = int(message_id) if message_id is not None else self.ids.next(at)
        msg = Message(
            id=mid,
            channel_id=ch.id,
            guild_id=ch.guild_id,
            author_id=author_id,
            content=content,
            created_at=snowflake_time(mid) if at is None and message_id is None else created,
            type=int(type),
            embeds=list(embeds),
            attachments=list(attachments),
            components=list(components),
            flags=flags,
            message_reference=message_reference,
            message_snapshots=message_snapshots,
            allowed_mentions=allowed_mentions,
            nonce=nonce,
            tts=tts,
            webhook_id=webhook_id,
            application_id=application_id,
            interaction_metadata=interaction_metadata,
            ephemeral=ephemeral,
        )
        self._apply_mentions(msg)
        self.messages[mid] = msg
        if nonce is not None:
            self._nonces[(author_id, str(nonce))] = mid
        if ephemeral:
            return msg  # only the interaction's user sees it; never in history or on the gateway
        self._insert_history(ch.id, mid)
        if ch.last_message_id is None or mid > ch.last_message_id:
            ch.last_message_id = mid
        if ch.is_thread:
            self._count_thread_message(ch, msg)
        self.emit(
            Event("MESSAGE_CREATE", payloads.message(self, msg, gateway=True), ch.guild_id, ch.id)
        )
        return msg

    def _insert_history(self, channel_id: int, mid: int) -> None:
        ids = self._history.setdefault(channel_id, [])
        if not ids or mid > ids[-1]:
            ids.append(mid)
        else:  # back-dated messages (``at=``) keep history sorted by id
            ids.append(mid)
            ids.sort()

    def _count_thread_message(self, th: Channel, msg: Message) -> None:
        if msg.id != th.id and msg.type != MessageType.THREAD_STARTER_MESSAGE:
            th.message_count += 1
        th.total_message_sent += 1
        if msg.author_id not in th.thread_members:
            th.thread_members.append(msg.author_id)
        if th.archived and not th.locked:
            # Discord unarchives a thread when someone posts in it
            th.archived = False
            th.archive_timestamp = _now()
            self._emit_channel_update(th)

    def _apply_mentions(self, msg: Message) -> None:
        guild = self.guilds[msg.guild_id]
        replied_author = None
        if msg.referenced_id is not None and msg.type == MessageType.REPLY:
            ref = self.messages.get(msg.referenced_id)
            replied_author = ref.author_id if ref is not None else None
        can_everyone = bool(self.permissions(msg.author_id, msg.channel_id) & P.MENTION_EVERYONE)
        found = compute_mentions(
            msg.content,
            msg.allowed_mentions,
            replied_author=replied_author,
            can_mention_everyone=can_everyone,
            mentionable_roles={r.id for r in guild.roles.values() if r.mentionable},
            known_roles=set(guild.roles),
        )
        msg.mentions = [u for u in found.users if u in self.users]
        msg.mention_roles = found.roles
        msg.mention_everyone = found.everyone

    def edit_message(
        self,
        channel_id: int,
        message_id: int,
        fields: JsonDict,
        *,
        attachments: list[Attachment] | None = None,
        dispatch: bool = True,
    ) -> Message:
        msg = self.messages.get(int(message_id))
        if msg is None or msg.deleted or msg.channel_id != int(channel_id):
            raise unknown_message()
        if "content" in fields:
            msg.content = fields["content"] or ""
        if "embeds" in fields:
            msg.embeds = list(fields["embeds"] or [])
        if "components" in fields:
            msg.components = list(fields["components"] or [])
        if "flags" in fields and fields["flags"] is not None:
            msg.flags = int(fields["flags"])
        if "allowed_mentions" in fields:
            msg.allowed_mentions = fields["allowed_mentions"]
        if "attachments" in fields:
            # the list names the existing attachments to keep (new uploads come as files)
            keep = {int(a["id"]) for a in fields["attachments"] or []}
            msg.attachments = [a for a in msg.attachments if a.id in keep]
        msg.attachments += list(attachments or [])
        msg.edited_at = _now()
        self._apply_mentions(msg)
        if dispatch and not msg.ephemeral:
            self.emit(
                Event(
                    "MESSAGE_UPDATE",
                    payloads.message(self, msg, gateway=True),
                    msg.guild_id,
                    msg.channel_id,
                )
            )
        return msg

    def delete_message(self, channel_id: int, message_id: int) -> Message:
        msg = self.get_message(channel_id, message_id)
        msg.deleted = True
        data = {"id": str(msg.id), "channel_id": str(msg.channel_id), "guild_id": str(msg.guild_id)}
        self.emit(Event("MESSAGE_DELETE", data, msg.guild_id, msg.channel_id))
        return msg

    def bulk_delete(self, channel_id: int, message_ids: Iterable[int]) -> list[Message]:
        ch = self.get_channel(channel_id)
        msgs = [self.get_message(ch.id, mid) for mid in message_ids]
        for msg in msgs:
            msg.deleted = True
        data = {
            "ids": [str(m.id) for m in msgs],
            "channel_id": str(ch.id),
            "guild_id": str(ch.guild_id),
        }
        self.emit(Event("MESSAGE_DELETE_BULK", data, ch.guild_id, ch.id))
        return msgs

    def add_reaction(self, channel_id: int, message_id: int, user_id: int, emoji: str) -> bool:
        msg = self.get_message(channel_id, message_id)
        users = msg.reactions.setdefault(emoji, [])
        if user_id in users:
            return False
        users.append(user_id)
        data = self._reaction_event(msg, user_id, emoji)
        guild = self.guilds[msg.guild_id]
        if user_id in guild.members:
            data["member"] = payloads.member(self, guild.members[user_id])
        data["message_author_id"] = str(msg.author_id)
        self.emit(Event("MESSAGE_REACTION_ADD", data, msg.guild_id, msg.channel_id))
        return True

    def remove_reaction(self, channel_id: int, message_id: int, user_id: int, emoji: str) -> bool:
        msg = self.get_message(channel_id, message_id)
        users = msg.reactions.get(emoji, [])
        if user_id not in users:
            return False
        users.remove(user_id)
        if not users:
            del msg.reactions[emoji]
        self.emit(
            Event(
                "MESSAGE_REACTION_REMOVE",
                self._reaction_event(msg, user_id, emoji),
                msg.guild_id,
                msg.channel_id,
            )
        )
        return True

    def _reaction_event(self, msg: Message, user_id: int, emoji: str) -> JsonDict:
        name, _, emoji_id = emoji.partition(":")
        return {
            "user_id": str(user_id),
            "channel_id": str(msg.channel_id),
            "message_id": str(msg.id),
            "guild_id": str(msg.guild_id),
            "emoji": {"id": emoji_id or None, "name": name},
            "burst": False,
            "type": 0,
        }

    def require(self, user_id: int, channel_id: int, perm: P) -> None:
        """Raise Discord's error when ``user_id`` lacks ``perm`` in the channel."""
        perms = self.permissions(user_id, channel_id)
        if not perms & P.VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if perms & perm != perm:
            raise ApiError(403, 50013, "Missing Permissions")

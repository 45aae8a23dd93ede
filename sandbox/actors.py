"""Acting as guild members: what people do in Discord, applied to the World with the
member's permissions and Discord's message limits checked (2,000 characters, embed limits),
and stored even while no bot is connected."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sandbox import payloads
from sandbox.errors import ApiError
from sandbox.interactions import InteractionHub, InteractionResult
from sandbox.models import Attachment, ChannelType
from sandbox.permissions import P
from sandbox.rest import validate
from sandbox.rest.messages import snapshot
from sandbox.state import World

JsonDict = dict[str, Any]
FileSpec = tuple[str, bytes]


class Actor:
    def __init__(self, world: World, interactions: InteractionHub, user_id: int) -> None:
        self.world = world
        self.interactions = interactions
        self.user = world.get_user(user_id)
        self.id = self.user.id

    def __repr__(self) -> str:
        return f"<Actor {self.user.username} {self.id}>"

    def _post_check(self, channel_id: int, *, files: bool) -> None:
        ch = self.world.get_channel(channel_id)
        if ch.type == ChannelType.GUILD_FORUM:
            raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
        self.world.require(self.id, ch.id, P.SEND_MESSAGES | (P.ATTACH_FILES if files else P(0)))
        if ch.is_thread and ch.locked and not self.world.can(self.id, ch.id, P.MANAGE_THREADS):
            raise ApiError(400, 50083, "Thread is locked")

    async def send(
        self,
        channel_id: int,
        content: str,
        *,
        reply_to: int | None = None,
        attachments: Iterable[FileSpec] | None = None,
        embeds: list[JsonDict] | None = None,
        at: datetime | None = None,
    ) -> JsonDict:
        """Post a message (a reply when ``reply_to`` is given); ``at`` back-dates it."""
        files = list(attachments or [])
        self._post_check(channel_id, files=bool(files))
        validate.member_message({"content": content, "embeds": embeds or []}, len(files))
        atts = [
            Attachment(id=self.world.ids.next(), filename=name, data=data) for name, data in files
        ]
        msg = self.world.create_message(
            channel_id,
            self.id,
            content,
            reply_to=reply_to,
            attachments=atts,
            embeds=embeds or [],
            at=at,
        )
        return payloads.message(self.world, msg, internal=True)

    async def create_post(
        self, forum_id: int, name: str, content: str, *, applied_tags: Iterable[int] = ()
    ) -> tuple[JsonDict, JsonDict]:
        """A member's forum post: (thread, starter message)."""
        forum = self.world.get_channel(forum_id)
        self.world.require(self.id, forum.id, P.SEND_MESSAGES)
        validate.thread_name(name)
        validate.member_message({"content": content}, 0)
        th = self.world.create_thread(forum.id, name, self.id, applied_tags=applied_tags)
        msg = self.world.create_message(th.id, self.id, content, message_id=th.id)
        return payloads.thread(th), payloads.message(self.world, msg, internal=True)

    async def edit(self, channel_id: int, message_id: int, content: str) -> JsonDict:
        msg = self.world.get_message(channel_id, message_id)
        if msg.author_id != self.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        validate.member_message({"content": content}, 0)
        msg = self.world.edit_message(channel_id, message_id, {"content": content})
        return payloads.message(self.world, msg, internal=True)

    async def delete(self, channel_id: int, message_id: int) -> None:
        msg = self.world.get_message(channel_id, message_id)
        if msg.author_id != self.id:
            self.world.require(self.id, channel_id, P.MANAGE_MESSAGES)
        self.world.delete_message(channel_id, message_id)

    async def bulk_delete(self, channel_id: int, ids: Iterable[int]) -> None:
        self.world.require(self.id, channel_id, P.MANAGE_MESSAGES)
        self.world.bulk_delete(channel_id, ids)

    async def react(self, channel_id: int, message_id: int, emoji: str) -> None:
        self.world.require(self.id, channel_id, P.READ_MESSAGE_HISTORY | P.ADD_REACTIONS)
        self.world.add_reaction(channel_id, message_id, self.id, emoji)

    async def unreact(self, channel_id: int, message_id: int, emoji: str) -> None:
        self.world.require(self.id, channel_id, P.READ_MESSAGE_HISTORY)
        self.world.remove_reaction(channel_id, message_id, self.id, emoji)

    async def forward(self, channel_id: int, message_id: int, to_channel_id: int) -> JsonDict:
        """Forward a message (message_reference type 1 with a message snapshot)."""
        target = self.world.get_message(channel_id, message_id)
        self.world.require(self.id, channel_id, P.READ_MESSAGE_HISTORY)
        self._post_check(to_channel_id, files=False)
        ref = {
            "type": 1,
            "message_id": str(target.id),
            "channel_id": str(target.channel_id),
            "guild_id": str(target.guild_id),
        }
        msg = self.world.create_message(
            to_channel_id,
            self.id,
            "",
            message_reference=ref,
            message_snapshots=[snapshot(self.world, target)],
        )
        return payloads.message(self.world, msg, internal=True)

    async def archive(self, thread_id: int, *, locked: bool = False) -> JsonDict:
        th = self.world.get_channel(thread_id)
        if th.owner_id != self.id or locked:
            self.world.require(self.id, th.id, P.MANAGE_THREADS)
        return payloads.thread(self.world.archive_thread(th.id, locked=locked))

    async def run_command(
        self,
        channel_id: int,
        command: str,
        options: dict[str, Any] | None = None,
        *,
        timeout: float = 10,  # noqa: ASYNC109
        followups: int = 0,
        enforce_default_permissions: bool = True,
    ) -> InteractionResult:
        """Run ``/command`` (e.g. ``"an search"``) and wait for the bot's answer: the
        callback, the edit of a deferred response, and ``followups`` follow-ups."""
        record = self.interactions.command(
            channel_id,
            self.id,
            command,
            options,
            enforce_default_permissions=enforce_default_permissions,
        )
        return await self.interactions.settle(record, timeout=timeout, followups=followups)

    async def autocomplete(
        self,
        channel_id: int,
        command: str,
        focused_option: str,
        value: str,
        *,
        options: dict[str, Any] | None = None,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> list[JsonDict]:
        """The choices the bot offers while ``focused_option`` is being typed."""
        values = dict(options or {})
        values[focused_option] = value
        record = self.interactions.command(
            channel_id, self.id, command, values, focused=focused_option
        )
        result = await self.interactions.settle(record, timeout=timeout)
        return list(result.choices or [])

    async def press(
        self,
        message: JsonDict | int,
        custom_id: str,
        *,
        timeout: float = 10,  # noqa: ASYNC109
        values: list[str] | None = None,
    ) -> InteractionResult:
        """Click a button (or pick ``values`` in a select) and wait for the bot's answer."""
        message_id = int(message["id"]) if isinstance(message, dict) else int(message)
        kind = 2 if values is None else 3
        record = self.interactions.component(
            message_id, self.id, custom_id, component_type=kind, values=values
        )
        return await self.interactions.settle(record, timeout=timeout)

    async def click(
        self,
        message: JsonDict | int,
        custom_id: str,
        *,
        timeout: float = 10,  # noqa: ASYNC109
    ) -> JsonDict:
        """Click a button; returns the message as it is after the bot's answer."""
        result = await self.press(message, custom_id, timeout=timeout)
        message_id = int(message["id"]) if isinstance(message, dict) else int(message)
        return self.world.message(message_id) if result.message is None else result.message

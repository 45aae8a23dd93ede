"""Interactions as Discord runs them: INTERACTION_CREATE out, callback and webhook
follow-ups in, and the records tests read the bot's answers from.

Discord's deadlines hold: the initial response must arrive within 3 seconds of
INTERACTION_CREATE (later, the callback gets 404 10062 "Unknown interaction" and the member
sees "The application did not respond"; the record keeps ``late_callback``), and the token
serves follow-ups and edits for 15 minutes (then 401 50027 "Invalid Webhook Token"). The
clock is injectable (``InteractionHub(clock=…)``) so tests can move time.

Option resolution walks the command the bot synced (guild commands first, then global),
so a test's ``run_command("an search", {"query": "x"})`` becomes the same nested options
tree Discord sends.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox import payloads
from sandbox.errors import ApiError
from sandbox.permissions import P
from sandbox.state import Event, World

JsonDict = dict[str, Any]

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
EPHEMERAL = 1 << 6
LOADING = 1 << 7
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
INITIAL_RESPONSE_DEADLINE = 3.0  # seconds from INTERACTION_CREATE to the callback
TOKEN_LIFETIME = 15 * 60.0  # seconds the interaction token serves follow-ups and edits


class CommandNotFound(LookupError):
    """The named command (or subcommand) was not synced by the bot."""


@dataclass
class InteractionMessage:
    """A message the bot sent in answer (the original response or a follow-up)."""

    id: int
    content: str
    embeds: list[JsonDict]
    components: list[JsonDict]
    ephemeral: bool
    files: list[tuple[str, bytes]]
    payload: JsonDict


@dataclass
class InteractionRecord:
    id: int
    token: str
    type: int
    guild_id: int
    channel_id: int
    user_id: int
    payload: JsonDict
    source_message_id: int | None = None  # the message a component lives on
    callback_type: int | None = None
    original_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)
    choices: list[JsonDict] | None = None
    modal: JsonDict | None = None
    edits: int = 0
    created: float = 0.0  # the hub's clock when INTERACTION_CREATE went out
    late_callback: float | None = None  # seconds after creation of a refused late callback
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()


@dataclass
class InteractionResult:
    """What the bot answered. ``message`` is the message a component click updated (or the
    original response); ``followups`` are follow-up messages in order."""

    type: int | None
    content: str
    embeds: list[JsonDict]
    components: list[JsonDict]
    ephemeral: bool
    files: list[tuple[str, bytes]]
    followups: list[InteractionMessage]
    message: JsonDict | None
    choices: list[JsonDict] | None
    modal: JsonDict | None
    interaction_id: int
    _hub: InteractionHub = field(repr=False)
    late_callback: float | None = None

    @property
    def deferred(self) -> bool:
        return self.type in (5, 6)

    @property
    def failed(self) -> bool:
        """The member saw "The application did not respond": no answer within 3 seconds."""
        return self.type is None and self.late_callback is not None

    async def wait_followups(self, count: int, *, timeout: float = 10) -> InteractionResult:  # noqa: ASYNC109
        """Wait until the bot has sent ``count`` follow-ups; returns a fresh result."""
        record = self._hub.records[self.interaction_id]
        await self._hub.wait(record, lambda r: len(r.followup_ids) >= count, timeout)
        return self._hub.result(record)


class InteractionHub:
    def __init__(
        self,
        world: World,
        *,
        clock: Callable[[], float] = time.monotonic,
        initial_response_deadline: float = INITIAL_RESPONSE_DEADLINE,
        token_lifetime: float = TOKEN_LIFETIME,
    ) -> None:
        self.world = world
        self.clock = clock
        self.initial_response_deadline = initial_response_deadline
        self.token_lifetime = token_lifetime
        self.records: dict[int, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}

    # -- building interactions ----------------------------------------------------------
    def find_command(self, guild_id: int, path: str) -> tuple[JsonDict, list[str]]:
        parts = path.strip().lstrip("/").split()
        if not parts:
            raise CommandNotFound("empty command path")
        for cmd in self.world.guild_commands.get(guild_id, []) + self.world.global_commands:
            if cmd["name"] == parts[0] and cmd["type"] == 1:
                return cmd, parts[1:]
        synced = [
            c["name"]
            for c in self.world.guild_commands.get(guild_id, []) + self.world.global_commands
        ]
        raise CommandNotFound(f"/{parts[0]} is not synced (synced: {synced})")

    def _resolve(
        self, cmd: JsonDict, subpath: list[str], values: dict[str, Any], focused: str | None
    ) -> tuple[list[JsonDict], JsonDict]:
        """Nested options for ``subpath`` with ``values`` at the leaf, plus ``resolved``."""
        resolved: JsonDict = {}
        defs = cmd.get("options") or []
        chain: list[tuple[int, str]] = []
        for name in subpath:
            opt = next((o for o in defs if o["name"] == name and o["type"] in (1, 2)), None)
            if opt is None:
                raise CommandNotFound(f"/{cmd['name']} has no subcommand {name!r}")
            chain.append((opt["type"], name))
            defs = opt.get("options") or []
        if any(o["type"] in (1, 2) for o in defs):
            raise CommandNotFound(f"/{cmd['name']} {' '.join(subpath)} needs a subcommand")
        leaf: list[JsonDict] = []
        known = {o["name"]: o for o in defs}
        for name, value in values.items():
            if name not in known:
                raise ValueError(
                    f"option {name!r} is not an option of this command; options: {list(known)}"
                )
            leaf.append(self._option(known[name], value, resolved, focused == name))
        missing = [o["name"] for o in defs if o.get("required") and o["name"] not in values]
        if missing and focused is None:
            raise ValueError(f"required options missing: {missing}")
        options = leaf
        for kind, name in reversed(chain):
            options = [{"type": kind, "name": name, "options": options}]
        return options, resolved

    def _option(self, spec: JsonDict, value: Any, resolved: JsonDict, focused: bool) -> JsonDict:
        kind = spec["type"]
        out: JsonDict = {"name": spec["name"], "type": kind}
        if focused:
            out["focused"] = True
            out["value"] = str(value)
            return out
        world = self.world
        if kind == 3:
            out["value"] = str(value)
        elif kind == 4:
            out["value"] = int(value)
        elif kind == 5:
            out["value"] = bool(value)
        elif kind == 10:
            out["value"] = float(value)
        elif kind in (6, 9) and int(value) in world.users:
            uid = int(value)
            out["value"] = str(uid)
            resolved.setdefault("users", {})[str(uid)] = payloads.user(world.users[uid])
            for g in world.guilds.values():
                if uid in g.members:
                    m = payloads.member(world, g.members[uid], with_user=False)
                    resolved.setdefault("members", {})[str(uid)] = m
                    break
        elif kind == 7:
            ch = world.get_channel(int(value))
            out["value"] = str(ch.id)
            data = payloads.channel(ch)
            data["permissions"] = str(world.permissions(world.bot_user_id, ch.id))
            resolved.setdefault("channels", {})[str(ch.id)] = data
        elif kind in (8, 9):
            for g in world.guilds.values():
                if int(value) in g.roles:
                    out["value"] = str(int(value))
                    resolved.setdefault("roles", {})[str(int(value))] = payloads.role(
                        g.roles[int(value)]
                    )
                    break
            else:
                raise ValueError(f"unknown role or user {value!r}")
        else:
            out["value"] = value
        return out

    def _base(self, kind: int, channel_id: int, user_id: int, data: JsonDict) -> InteractionRecord:
        world = self.world
        ch = world.get_channel(channel_id)
        guild = world.guilds[ch.guild_id]
        member = guild.members.get(user_id)
        if member is None:
            raise ApiError(403, 50001, f"user {user_id} is not a member of guild {guild.id}")
        iid = world.ids.next()
        token = "aW50ZXJhY3Rpb24" + secrets.token_urlsafe(48)
        member_payload = payloads.member(world, member)
        member_payload["permissions"] = str(world.permissions(user_id, ch.id))
        channel_payload = payloads.channel(ch)
        payload: JsonDict = {
            "id": str(iid),
            "application_id": str(world.application_id),
            "type": kind,
            "data": data,
            "guild_id": str(guild.id),
            "guild": {"id": str(guild.id), "locale": "en-US", "features": []},
            "channel_id": str(ch.id),
            "channel": channel_payload,
            "member": member_payload,
            "token": token,
            "version": 1,
            "app_permissions": str(world.permissions(world.bot_user_id, ch.id)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild.id)},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        record = InteractionRecord(
            id=iid,
            token=token,
            type=kind,
            guild_id=guild.id,
            channel_id=ch.id,
            user_id=user_id,
            payload=payload,
            created=self.clock(),
        )
        self.records[iid] = record
        self._by_token[token] = record
        return record

    def command(
        self,
        channel_id: int,
        user_id: int,
        path: str,
        options: dict[str, Any] | None = None,
        *,
        focused: str | None = None,
        enforce_default_permissions: bool = True,
    ) -> InteractionRecord:
        world = self.world
        ch = world.get_channel(channel_id)
        if not world.can(user_id, ch.id, P.VIEW_CHANNEL | P.USE_APPLICATION_COMMANDS):
            raise ApiError(403, 50001, f"user {user_id} cannot use commands in channel {ch.id}")
        cmd, subpath = self.find_command(ch.guild_id, path)
        required = cmd.get("default_member_permissions")
        if enforce_default_permissions and required is not None:
            perms = world.permissions(user_id, ch.id)
            if int(required) & perms != int(required):
                raise ApiError(
                    403,
                    50013,
                    f"/{cmd['name']} is hidden from this member (default_member_permissions)",
                )
        opts, resolved = self._resolve(cmd, subpath, dict(options or {}), focused)
        data: JsonDict = {"id": cmd["id"], "name": cmd["name"], "type": 1, "options": opts}
        if resolved:
            data["resolved"] = resolved
        if "guild_id" in cmd:
            data["guild_id"] = cmd["guild_id"]
        kind = AUTOCOMPLETE if focused is not None else APPLICATION_COMMAND
        record = self._base(kind, ch.id, user_id, data)
        self._dispatch(record)
        return record

    def component(
        self,
        message_id: int,
        user_id: int,
        custom_id: str,
        *,
        component_type: int = 2,
        values: list[str] | None = None,
    ) -> InteractionRecord:
        world = self.world
        msg = world.messages.get(int(message_id))
        if msg is None or msg.deleted:
            raise ApiError(404, 10008, "Unknown Message")
        data: JsonDict = {"custom_id": custom_id, "component_type": component_type}
        if values is not None:
            data["values"] = values
        record = self._base(MESSAGE_COMPONENT, msg.channel_id, user_id, data)
        record.source_message_id = msg.id
        record.payload["message"] = payloads.message(world, msg)
        self._dispatch(record)
        return record

    def _dispatch(self, record: InteractionRecord) -> None:
        self.world.emit(Event("INTERACTION_CREATE", record.payload, record.guild_id))

    # -- bot answers (called by the REST routes) ----------------------------------------
    def by_id_token(self, interaction_id: int, token: str) -> InteractionRecord:
        """The interaction a callback answers; refused after the 3-second deadline."""
        record = self.records.get(interaction_id)
        if record is None or record.token != token:
            raise ApiError(404, 10062, "Unknown interaction")
        age = self.clock() - record.created
        if record.callback_type is None and age > self.initial_response_deadline:
            record.late_callback = age
            raise ApiError(404, 10062, "Unknown interaction")
        return record

    def by_token(self, application_id: int, token: str) -> InteractionRecord:
        """The interaction a webhook call (follow-up, edit) uses; its token lasts 15 minutes."""
        record = self._by_token.get(token)
        if record is None or application_id != self.world.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        if self.clock() - record.created > self.token_lifetime:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return record

    def metadata(self, record: InteractionRecord) -> JsonDict:
        user = payloads.user(self.world.users[record.user_id])
        meta: JsonDict = {
            "id": str(record.id),
            "type": record.type,
            "user": user,
            "authorizing_integration_owners": {"0": str(record.guild_id)},
        }
        if record.type == APPLICATION_COMMAND:
            meta["name"] = record.payload["data"]["name"]
        if record.type == MESSAGE_COMPONENT and record.source_message_id is not None:
            meta["interacted_message_id"] = str(record.source_message_id)
        return meta

    async def wait(self, record: InteractionRecord, predicate: Any, timeout: float) -> None:  # noqa: ASYNC109
        async def _wait() -> None:
            async with record.changed:
                await record.changed.wait_for(lambda: predicate(record))

        try:
            await asyncio.wait_for(_wait(), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not answer interaction {record.id} in {timeout}s "
                f"(callback type {record.callback_type}, {len(record.followup_ids)} follow-ups)"
            ) from None

    def _message(self, mid: int | None) -> InteractionMessage | None:
        if mid is None:
            return None
        msg = self.world.messages[mid]
        return InteractionMessage(
            id=msg.id,
            content=msg.content,
            embeds=list(msg.embeds),
            components=list(msg.components),
            ephemeral=bool(msg.flags & EPHEMERAL),
            files=[(a.filename, a.data) for a in msg.attachments],
            payload=payloads.message(self.world, msg, internal=True),
        )

    def result(self, record: InteractionRecord) -> InteractionResult:
        original = self._message(record.original_id)
        source = self.world.messages.get(record.source_message_id or 0)
        updated = payloads.message(self.world, source, internal=True) if source else None
        shown = original
        if shown is None and record.callback_type in (6, 7) and source is not None:
            shown = self._message(source.id)
        return InteractionResult(
            type=record.callback_type,
            content=shown.content if shown else "",
            embeds=shown.embeds if shown else [],
            components=shown.components if shown else [],
            ephemeral=shown.ephemeral if shown else False,
            files=shown.files if shown else [],
            followups=[m for m in (self._message(i) for i in record.followup_ids) if m is not None],
            message=updated
            if record.callback_type in (6, 7)
            else (original.payload if original else None),
            choices=record.choices,
            modal=record.modal,
            interaction_id=record.id,
            _hub=self,
            late_callback=record.late_callback,
        )

    async def settle(
        self,
        record: InteractionRecord,
        *,
        timeout: float,  # noqa: ASYNC109
        followups: int = 0,
    ) -> InteractionResult:
        """Wait for the callback; after a 'thinking' defer also for the edit of the original
        response; then for ``followups`` follow-ups."""

        def done(r: InteractionRecord) -> bool:
            if r.callback_type is None:
                return r.late_callback is not None  # too late: the member saw it fail
            original = self.world.messages.get(r.original_id or 0)
            if r.callback_type == 5 and original is not None and original.flags & LOADING:
                return False
            return len(r.followup_ids) >= followups

        await self.wait(record, done, timeout)
        return self.result(record)

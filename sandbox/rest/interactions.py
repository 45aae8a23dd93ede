"""Interaction callback and the interaction webhook (follow-ups, ``@original``)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox import payloads
from sandbox.errors import ApiError, invalid_form
from sandbox.interactions import (
    APPLICATION_COMMAND,
    EPHEMERAL,
    LOADING,
    InteractionHub,
    InteractionRecord,
)
from sandbox.models import Message, MessageType
from sandbox.rest import validate
from sandbox.rest.common import (
    UploadedFile,
    attachments_from,
    body,
    interactions_of,
    json_response,
    no_content,
    snowflake,
    world_of,
)

routes = web.RouteTableDef()
JsonDict = dict[str, Any]
WEBHOOK = "/webhooks/{application_id}/{token}"


def _create(
    hub: InteractionHub,
    record: InteractionRecord,
    data: JsonDict,
    files: list[UploadedFile],
    *,
    loading: bool = False,
) -> Message:
    world = hub.world
    validate.message_body(data, len(files))
    if not loading:
        validate.not_empty(data, len(files))
    flags = int(data.get("flags") or 0)
    if loading:
        flags |= LOADING
    kind = (
        MessageType.CHAT_INPUT_COMMAND
        if record.type == APPLICATION_COMMAND
        else MessageType.DEFAULT
    )
    return world.create_message(
        record.channel_id,
        world.bot_user_id,
        data.get("content") or "",
        type=kind,
        embeds=data.get("embeds") or [],
        attachments=attachments_from(data, files, world),
        components=data.get("components") or [],
        flags=flags,
        allowed_mentions=data.get("allowed_mentions"),
        webhook_id=world.application_id,
        application_id=world.application_id,
        interaction_metadata=hub.metadata(record),
        ephemeral=bool(flags & EPHEMERAL),
    )


@routes.post("/interactions/{interaction_id}/{token}/callback")
async def callback(request: web.Request) -> web.Response:
    hub = interactions_of(request)
    world = hub.world
    try:
        record = hub.by_id_token(snowflake(request, "interaction_id"), request.match_info["token"])
    except ApiError:
        late = hub.records.get(snowflake(request, "interaction_id"))
        if late is not None:
            await late.notify()  # a waiting test learns the member saw a failure
        raise
    if record.callback_type is not None:
        raise ApiError(400, 40060, "Interaction has already been acknowledged.")
    b = body(request)
    payload = b.dict()
    kind = int(payload.get("type") or 0)
    data = payload.get("data") or {}
    message: Message | None = None
    if kind == 4:
        message = _create(hub, record, data, b.files)
        record.original_id = message.id
    elif kind == 5:
        message = _create(
            hub, record, {"flags": int(data.get("flags") or 0) & EPHEMERAL}, [], loading=True
        )
        record.original_id = message.id
    elif kind in (6, 7) and record.source_message_id is not None:
        if kind == 7:
            validate.message_body(data, len(b.files))
            message = world.edit_message(
                record.channel_id,
                record.source_message_id,
                data,
                attachments=attachments_from(data, b.files, world),
            )
        else:
            message = world.messages[record.source_message_id]
    elif kind == 8:
        choices = data.get("choices") or []
        if len(choices) > 25:
            raise invalid_form(
                "data.choices", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length."
            )
        record.choices = choices
    elif kind == 9:
        record.modal = data
    else:
        raise invalid_form(
            "type",
            "INTERACTION_CALLBACK_TYPE_INVALID",
            f"Invalid callback type {kind} for this interaction",
        )
    record.callback_type = kind
    await record.notify()
    interaction: JsonDict = {
        "id": str(record.id),
        "type": record.type,
        "response_message_loading": kind == 5,
        "response_message_ephemeral": bool(message and message.flags & EPHEMERAL),
        "channel_id": str(record.channel_id),
        "guild_id": str(record.guild_id),
    }
    if message is not None:  # omitted (not null) when no message answers, e.g. autocomplete
        interaction["response_message_id"] = str(message.id)
    answer: JsonDict = {"interaction": interaction}
    if message is not None and kind in (4, 7):
        # Discord returns the message only for the callbacks that send one (4, 7): a deferral
        # (5) creates a loading placeholder the client must not take for the answer
        answer["resource"] = {"type": kind, "message": payloads.message(world, message)}
    return json_response(answer)


def _target(hub: InteractionHub, record: InteractionRecord, raw: str) -> Message:
    if raw == "@original":
        mid = record.original_id
        if mid is None and record.callback_type in (6, 7):
            mid = record.source_message_id
    else:
        mid = int(raw) if raw.isdigit() else None
        if mid not in record.followup_ids and mid != record.original_id:
            mid = None
    if mid is None:
        raise ApiError(404, 10008, "Unknown Message")
    msg = hub.world.messages[mid]
    if msg.deleted:
        raise ApiError(404, 10008, "Unknown Message")
    return msg


def _record(request: web.Request) -> InteractionRecord:
    hub = interactions_of(request)
    return hub.by_token(snowflake(request, "application_id"), request.match_info["token"])


@routes.post(WEBHOOK)
async def followup(request: web.Request) -> web.Response:
    hub = interactions_of(request)
    record = _record(request)
    if record.callback_type is None:
        raise ApiError(400, 40061, "Interaction has not been acknowledged.")
    b = body(request)
    data = b.dict()
    original = hub.world.messages.get(record.original_id or 0)
    if original is not None and original.flags & LOADING:
        # Discord: the first follow-up after a 'thinking' defer edits the loading message.
        msg = _edit(hub, original, data, b.files)
    else:
        msg = _create(hub, record, data, b.files)
        record.followup_ids.append(msg.id)
    await record.notify()
    if request.query.get("wait") in ("1", "true", "True"):
        return json_response(payloads.message(hub.world, msg))
    return no_content()


def _edit(hub: InteractionHub, msg: Message, data: JsonDict, files: list[UploadedFile]) -> Message:
    validate.message_body(data, len(files))
    fields = dict(data)
    fields["flags"] = msg.flags & ~LOADING
    return hub.world.edit_message(
        msg.channel_id, msg.id, fields, attachments=attachments_from(data, files, hub.world)
    )


@routes.get(WEBHOOK + "/messages/{message_id}")
async def get_webhook_message(request: web.Request) -> web.Response:
    hub = interactions_of(request)
    msg = _target(hub, _record(request), request.match_info["message_id"])
    return json_response(payloads.message(hub.world, msg))


@routes.patch(WEBHOOK + "/messages/{message_id}")
async def edit_webhook_message(request: web.Request) -> web.Response:
    hub = interactions_of(request)
    record = _record(request)
    msg = _target(hub, record, request.match_info["message_id"])
    b = body(request)
    msg = _edit(hub, msg, b.dict(), b.files)
    record.edits += 1
    await record.notify()
    return json_response(payloads.message(hub.world, msg))


@routes.delete(WEBHOOK + "/messages/{message_id}")
async def delete_webhook_message(request: web.Request) -> web.Response:
    hub = interactions_of(request)
    record = _record(request)
    msg = _target(hub, record, request.match_info["message_id"])
    if msg.ephemeral:
        msg.deleted = True
    else:
        world_of(request).delete_message(msg.channel_id, msg.id)
    await record.notify()
    return no_content()

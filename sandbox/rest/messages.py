"""Messages: send (JSON or multipart, nonce/enforce_nonce, replies, forwards), get, edit,
delete, bulk delete, history (before/after/around, newest first)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from sandbox import payloads
from sandbox.errors import ApiError, invalid_form
from sandbox.models import ChannelType, Message
from sandbox.permissions import P
from sandbox.rest import validate
from sandbox.rest.common import (
    UploadedFile,
    attachments_from,
    body,
    json_response,
    no_content,
    query_int,
    snowflake,
    world_of,
)
from sandbox.state import World

routes = web.RouteTableDef()
JsonDict = dict[str, Any]


def create_from_payload(
    world: World,
    channel_id: int,
    author_id: int,
    payload: JsonDict,
    files: list[UploadedFile],
    **extra: Any,
) -> Message:
    """Validate a message body and create it (used by channel sends, forum posts, webhooks)."""
    validate.message_body(payload, len(files))
    validate.not_empty(payload, len(files))
    ref = payload.get("message_reference")
    reply_to = None
    snapshots = None
    reference = None
    if ref:
        ref_type = int(ref.get("type", 0))
        target_channel = int(ref.get("channel_id") or channel_id)
        try:
            target = world.get_message(target_channel, int(ref["message_id"]))
        except ApiError:
            if ref.get("fail_if_not_exists", True):
                raise invalid_form(
                    "message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message"
                ) from None
            target = None
        if target is not None and ref_type == 0:
            if target.channel_id != channel_id:
                raise invalid_form(
                    "message_reference",
                    "REPLIES_CANNOT_REFERENCE_OTHER_CHANNEL",
                    "Cannot reply across channels",
                )
            reply_to = target.id
        elif target is not None and ref_type == 1:
            reference = {
                "type": 1,
                "message_id": str(target.id),
                "channel_id": str(target.channel_id),
                "guild_id": str(target.guild_id),
            }
            snapshots = [snapshot(world, target)]
    return world.create_message(
        channel_id,
        author_id,
        payload.get("content") or "",
        embeds=payload.get("embeds") or [],
        attachments=attachments_from(payload, files, world),
        components=payload.get("components") or [],
        flags=int(payload.get("flags") or 0),
        reply_to=reply_to,
        message_reference=reference,
        message_snapshots=snapshots,
        allowed_mentions=payload.get("allowed_mentions"),
        nonce=payload.get("nonce"),
        enforce_nonce=bool(payload.get("enforce_nonce")),
        tts=bool(payload.get("tts")),
        **extra,
    )


def snapshot(world: World, target: Message) -> JsonDict:
    """A forward's copy of the original (Discord's message snapshot object)."""
    full = payloads.message(world, target, nested=False)
    keep = (
        "type",
        "content",
        "embeds",
        "attachments",
        "timestamp",
        "edited_timestamp",
        "flags",
        "mentions",
        "mention_roles",
        "components",
    )
    return {"message": {k: full[k] for k in keep if k in full}}


def check_can_post(world: World, channel_id: int, user_id: int, *, files: bool = False) -> None:
    ch = world.get_channel(channel_id)
    if ch.type == ChannelType.GUILD_FORUM:
        raise ApiError(400, 50008, "Cannot send messages in a non-text channel")
    world.require(user_id, ch.id, P.SEND_MESSAGES)
    if files:
        world.require(user_id, ch.id, P.ATTACH_FILES)
    if ch.is_thread and ch.locked and not world.can(user_id, ch.id, P.MANAGE_THREADS):
        raise ApiError(400, 50083, "Thread is locked")


@routes.post("/channels/{channel_id}/messages")
async def send_message(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    b = body(request)
    check_can_post(world, channel_id, world.bot_user_id, files=bool(b.files))
    msg = create_from_payload(world, channel_id, world.bot_user_id, b.dict(), b.files)
    return json_response(payloads.message(world, msg))


@routes.get("/channels/{channel_id}/messages/{message_id}")
async def get_message(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.READ_MESSAGE_HISTORY)
    msg = world.get_message(channel_id, snowflake(request, "message_id"))
    return json_response(payloads.message(world, msg))


@routes.patch("/channels/{channel_id}/messages/{message_id}")
async def edit_message(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.VIEW_CHANNEL)
    msg = world.get_message(channel_id, snowflake(request, "message_id"))
    if msg.author_id != world.bot_user_id:
        raise ApiError(403, 50005, "Cannot edit a message authored by another user")
    b = body(request)
    payload = b.dict()
    validate.message_body(payload, len(b.files))
    new_files = attachments_from(payload, b.files, world)
    msg = world.edit_message(channel_id, msg.id, payload, attachments=new_files)
    return json_response(payloads.message(world, msg))


@routes.delete("/channels/{channel_id}/messages/{message_id}")
async def delete_message(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.VIEW_CHANNEL)
    msg = world.get_message(channel_id, snowflake(request, "message_id"))
    if msg.author_id != world.bot_user_id:
        world.require(world.bot_user_id, channel_id, P.MANAGE_MESSAGES)
    world.delete_message(channel_id, msg.id)
    return no_content()


@routes.post("/channels/{channel_id}/messages/bulk-delete")
async def bulk_delete(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.MANAGE_MESSAGES)
    ids = [int(i) for i in body(request).dict().get("messages") or []]
    if not 2 <= len(ids) <= 100:
        raise invalid_form(
            "messages", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length."
        )
    cutoff = datetime.now(UTC) - timedelta(days=14)
    msgs = [world.get_message(channel_id, i) for i in ids]
    if any(m.created_at < cutoff for m in msgs):
        raise ApiError(400, 50034, "You can only bulk delete messages that are under 14 days old.")
    world.bulk_delete(channel_id, ids)
    return no_content()


def page(
    ids: list[int], *, limit: int, before: int | None, after: int | None, around: int | None
) -> list[int]:
    """Discord's history window over ascending ids; the answer is newest first."""
    if around is not None:
        older = [i for i in ids if i < around][-(limit // 2) :] if limit // 2 else []
        rest = [i for i in ids if i >= around][: limit - len(older)]
        chosen = older + rest
    elif after is not None:
        chosen = [i for i in ids if i > after][:limit]
    else:
        upper = before if before is not None else (1 << 64)
        chosen = [i for i in ids if i < upper][-limit:]
    return sorted(chosen, reverse=True)


@routes.get("/channels/{channel_id}/messages")
async def history(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.VIEW_CHANNEL)
    if not world.can(world.bot_user_id, channel_id, P.READ_MESSAGE_HISTORY):
        return json_response([])  # Discord answers an empty list, not an error
    limit = validate.limit(query_int(request, "limit"), default=50)
    chosen = page(
        world.history_ids(channel_id),
        limit=limit,
        before=query_int(request, "before"),
        after=query_int(request, "after"),
        around=query_int(request, "around"),
    )
    return json_response([payloads.message(world, world.messages[i]) for i in chosen])

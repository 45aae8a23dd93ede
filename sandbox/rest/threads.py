"""Threads: forum posts (starter message id == thread id), threads in text channels,
thread members, active and archived listings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from sandbox import payloads
from sandbox.errors import ApiError, invalid_form
from sandbox.models import ChannelType, MessageType
from sandbox.permissions import P
from sandbox.rest import validate
from sandbox.rest.channels import check_applied_tags, not_a_thread_parent
from sandbox.rest.common import body, json_response, no_content, query_int, snowflake, world_of
from sandbox.rest.messages import create_from_payload
from sandbox.snowflake import snowflake_time

routes = web.RouteTableDef()
JsonDict = dict[str, Any]
REQUIRE_TAG = 1 << 4


@routes.post("/channels/{channel_id}/threads")
async def create_thread(request: web.Request) -> web.Response:
    world = world_of(request)
    parent = world.get_channel(snowflake(request, "channel_id"))
    b = body(request)
    fields = b.dict()
    bot = world.bot_user_id
    name = validate.thread_name(fields.get("name"))
    if parent.type == ChannelType.GUILD_FORUM:
        world.require(bot, parent.id, P.SEND_MESSAGES)
        message = fields.get("message")
        if not isinstance(message, dict):
            raise invalid_form("message", "BASE_TYPE_REQUIRED", "This field is required")
        tags = check_applied_tags(world, parent.id, fields.get("applied_tags"))
        if parent.flags & REQUIRE_TAG and not tags:
            raise ApiError(400, 40067, "A tag is required to create a forum post in this channel")
        validate.message_body(message, len(b.files), prefix="message.")
        validate.not_empty(message, len(b.files))
        thread = world.create_thread(
            parent.id,
            name,
            bot,
            applied_tags=tags,
            auto_archive_duration=fields.get("auto_archive_duration"),
            rate_limit_per_user=int(fields.get("rate_limit_per_user") or 0),
        )
        starter = create_from_payload(world, thread.id, bot, message, b.files, message_id=thread.id)
        data = payloads.thread(thread)
        data["message"] = payloads.message(world, starter)
        data["member"] = payloads.thread_member(thread, bot)
        return json_response(data, status=201)
    if parent.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
        raise not_a_thread_parent(parent.type)
    kind = int(fields.get("type") or ChannelType.PRIVATE_THREAD)
    perm = (
        P.CREATE_PRIVATE_THREADS if kind == ChannelType.PRIVATE_THREAD else P.CREATE_PUBLIC_THREADS
    )
    world.require(bot, parent.id, perm)
    thread = world.create_thread(
        parent.id, name, bot, type=kind, auto_archive_duration=fields.get("auto_archive_duration")
    )
    data = payloads.thread(thread)
    data["member"] = payloads.thread_member(thread, bot)
    return json_response(data, status=201)


@routes.post("/channels/{channel_id}/messages/{message_id}/threads")
async def thread_from_message(request: web.Request) -> web.Response:
    world = world_of(request)
    parent = world.get_channel(snowflake(request, "channel_id"))
    if parent.type not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_ANNOUNCEMENT):
        raise not_a_thread_parent(parent.type)
    bot = world.bot_user_id
    world.require(bot, parent.id, P.CREATE_PUBLIC_THREADS)
    origin = world.get_message(parent.id, snowflake(request, "message_id"))
    if origin.id in world.channels:
        raise ApiError(400, 160004, "A thread has already been created for this message")
    fields = body(request).dict()
    name = validate.thread_name(fields.get("name"))
    thread = world.create_thread(
        parent.id,
        name,
        bot,
        thread_id=origin.id,
        auto_archive_duration=fields.get("auto_archive_duration"),
    )
    world.create_message(
        thread.id,
        origin.author_id,
        "",
        type=MessageType.THREAD_STARTER_MESSAGE,
        message_reference={
            "type": 0,
            "message_id": str(origin.id),
            "channel_id": str(parent.id),
            "guild_id": str(parent.guild_id),
        },
    )
    data = payloads.thread(thread)
    data["member"] = payloads.thread_member(thread, bot)
    return json_response(data, status=201)


@routes.put("/channels/{channel_id}/thread-members/@me")
async def join_thread(request: web.Request) -> web.Response:
    world = world_of(request)
    thread = world.get_channel(snowflake(request, "channel_id"))
    world.require(world.bot_user_id, thread.id, P.VIEW_CHANNEL)
    if world.bot_user_id not in thread.thread_members:
        thread.thread_members.append(world.bot_user_id)
    return no_content()


@routes.get("/channels/{channel_id}/thread-members")
async def thread_members(request: web.Request) -> web.Response:
    world = world_of(request)
    thread = world.get_channel(snowflake(request, "channel_id"))
    world.require(world.bot_user_id, thread.id, P.VIEW_CHANNEL)
    return json_response([payloads.thread_member(thread, u) for u in thread.thread_members])


def _before(raw: str | None) -> datetime | None:
    if not raw:
        return None
    if raw.isdigit():
        return snowflake_time(int(raw))
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        raise invalid_form(
            "before", "DATE_TYPE_PARSE", f"Could not parse {raw}. Should be ISO8601."
        ) from None


@routes.get("/channels/{channel_id}/threads/archived/public")
async def archived_public(request: web.Request) -> web.Response:
    world = world_of(request)
    parent = world.get_channel(snowflake(request, "channel_id"))
    world.require(world.bot_user_id, parent.id, P.READ_MESSAGE_HISTORY)
    before = _before(request.query.get("before"))
    limit = validate.limit(query_int(request, "limit"), default=50)
    archived = [
        c
        for c in world.channels.values()
        if c.parent_id == parent.id
        and c.is_thread
        and c.type != ChannelType.PRIVATE_THREAD
        and c.archived
        and (before is None or (c.archive_timestamp is not None and c.archive_timestamp < before))
    ]
    archived.sort(key=lambda c: (c.archive_timestamp, c.id), reverse=True)
    chosen = archived[:limit]
    bot = world.bot_user_id
    return json_response(
        {
            "threads": [payloads.thread(c) for c in chosen],
            "members": [payloads.thread_member(c, bot) for c in chosen if bot in c.thread_members],
            "has_more": len(archived) > limit,
        }
    )


@routes.get("/guilds/{guild_id}/threads/active")
async def active_threads(request: web.Request) -> web.Response:
    world = world_of(request)
    guild = world.get_guild(snowflake(request, "guild_id"))
    bot = world.bot_user_id
    active = [
        c
        for c in world.channels.values()
        if c.guild_id == guild.id
        and c.is_thread
        and not c.archived
        and world.can(bot, c.id, P.VIEW_CHANNEL)
    ]
    return json_response(
        {
            "threads": [payloads.thread(c) for c in active],
            "members": [payloads.thread_member(c, bot) for c in active if bot in c.thread_members],
            "has_more": False,  # Discord lists every active thread in one answer
        }
    )

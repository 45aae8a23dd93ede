"""Reactions: add/remove own, remove others' (MANAGE_MESSAGES), list users, clear."""

from __future__ import annotations

from aiohttp import web

from sandbox import payloads
from sandbox.errors import ApiError
from sandbox.permissions import P
from sandbox.rest import validate
from sandbox.rest.common import json_response, no_content, query_int, snowflake, world_of

routes = web.RouteTableDef()
BASE = "/channels/{channel_id}/messages/{message_id}/reactions"


def _emoji(request: web.Request) -> str:
    emoji = request.match_info["emoji"]
    if not emoji:
        raise ApiError(400, 10014, "Unknown Emoji")
    return emoji


@routes.put(BASE + "/{emoji}/@me")
async def add_own(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.READ_MESSAGE_HISTORY | P.ADD_REACTIONS)
    world.add_reaction(
        channel_id, snowflake(request, "message_id"), world.bot_user_id, _emoji(request)
    )
    return no_content()


@routes.delete(BASE + "/{emoji}/@me")
async def remove_own(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.READ_MESSAGE_HISTORY)
    world.remove_reaction(
        channel_id, snowflake(request, "message_id"), world.bot_user_id, _emoji(request)
    )
    return no_content()


@routes.delete(BASE + "/{emoji}/{user_id}")
async def remove_user(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.MANAGE_MESSAGES)
    world.remove_reaction(
        channel_id, snowflake(request, "message_id"), snowflake(request, "user_id"), _emoji(request)
    )
    return no_content()


@routes.get(BASE + "/{emoji}")
async def list_users(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.READ_MESSAGE_HISTORY)
    msg = world.get_message(channel_id, snowflake(request, "message_id"))
    limit = validate.limit(query_int(request, "limit"), default=25)
    after = query_int(request, "after") or 0
    users = sorted(u for u in msg.reactions.get(_emoji(request), []) if u > after)[:limit]
    return json_response([payloads.user(world.users[u]) for u in users])


@routes.delete(BASE)
async def clear_all(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.MANAGE_MESSAGES)
    msg = world.get_message(channel_id, snowflake(request, "message_id"))
    for emoji, users in list(msg.reactions.items()):
        for user_id in list(users):
            world.remove_reaction(channel_id, msg.id, user_id, emoji)
    return no_content()


@routes.delete(BASE + "/{emoji}")
async def clear_emoji(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.MANAGE_MESSAGES)
    msg = world.get_message(channel_id, snowflake(request, "message_id"))
    emoji = _emoji(request)
    for user_id in list(msg.reactions.get(emoji, [])):
        world.remove_reaction(channel_id, msg.id, user_id, emoji)
    return no_content()

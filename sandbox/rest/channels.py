"""Channel routes: get, edit (forum tags, thread state), delete."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from sandbox import payloads
from sandbox.errors import ApiError, invalid_form
from sandbox.models import ChannelType
from sandbox.permissions import P
from sandbox.rest import validate
from sandbox.rest.common import body, json_response, snowflake, world_of
from sandbox.state import World

routes = web.RouteTableDef()
JsonDict = dict[str, Any]

MAX_TAGS = 20
MAX_APPLIED_TAGS = 5
_OWNER_THREAD_FIELDS = {"name", "archived", "applied_tags", "auto_archive_duration"}


@routes.get("/channels/{channel_id}")
async def get_channel(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    world.require(world.bot_user_id, channel_id, P.VIEW_CHANNEL)
    return json_response(world.channel(channel_id))


def check_applied_tags(world: World, parent_id: int, tags: Any) -> list[int]:
    parent = world.get_channel(parent_id)
    ids = [int(t) for t in tags or []]
    if len(ids) > MAX_APPLIED_TAGS:
        raise invalid_form(
            "applied_tags",
            "BASE_TYPE_MAX_LENGTH",
            f"Must be {MAX_APPLIED_TAGS} or fewer in length.",
        )
    known = {int(t["id"]) for t in parent.available_tags}
    for tag in ids:
        if tag not in known:
            raise invalid_form("applied_tags", "FORUM_TAG_UNKNOWN", f"Unknown tag {tag}")
    return ids


def _check_tags(tags: Any) -> list[JsonDict]:
    if not isinstance(tags, list) or len(tags) > MAX_TAGS:
        raise invalid_form(
            "available_tags", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_TAGS} or fewer in length."
        )
    names = set()
    for i, tag in enumerate(tags):
        name = tag.get("name") if isinstance(tag, dict) else None
        if not isinstance(name, str) or not 1 <= len(name) <= 20:
            raise invalid_form(
                f"available_tags.{i}.name",
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 20 in length.",
            )
        if name in names:
            raise invalid_form(
                f"available_tags.{i}.name", "DUPLICATE_TAG_NAME", "Tag names must be unique"
            )
        names.add(name)
    return tags


@routes.patch("/channels/{channel_id}")
async def edit_channel(request: web.Request) -> web.Response:
    world = world_of(request)
    channel_id = snowflake(request, "channel_id")
    ch = world.get_channel(channel_id)
    fields = body(request).dict()
    bot = world.bot_user_id
    if ch.is_thread:
        world.require(bot, ch.id, P.VIEW_CHANNEL)
        if not (ch.owner_id == bot and set(fields) <= _OWNER_THREAD_FIELDS):
            world.require(bot, ch.id, P.MANAGE_THREADS)
        if "name" in fields:
            validate.thread_name(fields["name"])
        if "applied_tags" in fields:
            fields["applied_tags"] = check_applied_tags(
                world, ch.parent_id or 0, fields["applied_tags"]
            )
    else:
        world.require(bot, ch.id, P.MANAGE_CHANNELS)
        if "available_tags" in fields:
            if ch.type != ChannelType.GUILD_FORUM:
                raise invalid_form(
                    "available_tags", "CHANNEL_TYPE_INVALID", "Only forum channels have tags"
                )
            fields["available_tags"] = _check_tags(fields["available_tags"])
    ch = world.update_channel(ch.id, fields)
    return json_response(payloads.channel(ch))


@routes.delete("/channels/{channel_id}")
async def delete_channel(request: web.Request) -> web.Response:
    world = world_of(request)
    ch = world.get_channel(snowflake(request, "channel_id"))
    world.require(world.bot_user_id, ch.id, P.MANAGE_THREADS if ch.is_thread else P.MANAGE_CHANNELS)
    world.delete_channel(ch.id)
    for child in [c for c in world.channels.values() if c.parent_id == ch.id and c.is_thread]:
        world.delete_channel(child.id)
    return json_response(payloads.channel(ch))


def not_a_thread_parent(kind: int) -> ApiError:
    return ApiError(400, 50024, f"Cannot execute action on this channel type ({kind})")

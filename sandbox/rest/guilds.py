"""Guild routes: the guild, its channels, roles and members."""

from __future__ import annotations

from aiohttp import web

from sandbox import payloads
from sandbox.errors import ApiError, invalid_form
from sandbox.models import ChannelType
from sandbox.permissions import P, base_permissions
from sandbox.rest import validate
from sandbox.rest.common import body, json_response, query_int, snowflake, world_of

routes = web.RouteTableDef()


@routes.get("/guilds/{guild_id}")
async def get_guild(request: web.Request) -> web.Response:
    world = world_of(request)
    g = world.get_guild(snowflake(request, "guild_id"))
    data = payloads.guild_info(g)
    data["roles"] = [payloads.role(r) for r in g.roles.values()]
    data["approximate_member_count"] = len(g.members)
    return json_response(data)


@routes.get("/guilds/{guild_id}/channels")
async def guild_channels(request: web.Request) -> web.Response:
    world = world_of(request)
    g = world.get_guild(snowflake(request, "guild_id"))
    return json_response(
        [
            payloads.channel(c)
            for c in world.channels.values()
            if c.guild_id == g.id and not c.is_thread
        ]
    )


@routes.post("/guilds/{guild_id}/channels")
async def create_channel(request: web.Request) -> web.Response:
    world = world_of(request)
    g = world.get_guild(snowflake(request, "guild_id"))
    if not base_permissions(g, world.bot_user_id) & P.MANAGE_CHANNELS:
        raise ApiError(403, 50013, "Missing Permissions")
    fields = body(request).dict()
    name = fields.get("name")
    if not isinstance(name, str) or not 1 <= len(name) <= 100:
        raise invalid_form("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
    kind = int(fields.get("type") or ChannelType.GUILD_TEXT)
    if kind not in (ChannelType.GUILD_TEXT, ChannelType.GUILD_FORUM, ChannelType.GUILD_CATEGORY):
        raise invalid_form("type", "BASE_TYPE_CHOICES", "Value must be one of (0, 4, 15).")
    ch = world.add_channel(
        g.id,
        name,
        kind,
        topic=fields.get("topic"),
        available_tags=fields.get("available_tags") or [],
        parent_id=int(fields["parent_id"]) if fields.get("parent_id") else None,
    )
    return json_response(payloads.channel(ch), status=201)


@routes.get("/guilds/{guild_id}/roles")
async def roles(request: web.Request) -> web.Response:
    g = world_of(request).get_guild(snowflake(request, "guild_id"))
    return json_response([payloads.role(r) for r in g.roles.values()])


@routes.get("/guilds/{guild_id}/members/{user_id}")
async def get_member(request: web.Request) -> web.Response:
    world = world_of(request)
    g = world.get_guild(snowflake(request, "guild_id"))
    member = g.members.get(snowflake(request, "user_id"))
    if member is None:
        raise ApiError(404, 10007, "Unknown Member")
    return json_response(payloads.member(world, member))


@routes.get("/guilds/{guild_id}/members")
async def list_members(request: web.Request) -> web.Response:
    world = world_of(request)
    g = world.get_guild(snowflake(request, "guild_id"))
    limit = validate.limit(query_int(request, "limit"), default=1, high=1000)
    after = query_int(request, "after") or 0
    ids = sorted(u for u in g.members if u > after)[:limit]
    return json_response([payloads.member(world, g.members[u]) for u in ids])

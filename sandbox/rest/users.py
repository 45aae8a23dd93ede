"""Login-time routes: the bot user, its application, the gateway URL."""

from __future__ import annotations

from aiohttp import web

from sandbox import payloads
from sandbox.rest.common import INFO, json_response, no_content, snowflake, world_of

routes = web.RouteTableDef()


@routes.get("/users/@me")
async def me(request: web.Request) -> web.Response:
    world = world_of(request)
    return json_response(payloads.current_user(world.users[world.bot_user_id]))


@routes.get("/users/{user_id}")
async def get_user(request: web.Request) -> web.Response:
    world = world_of(request)
    return json_response(payloads.user(world.get_user(snowflake(request, "user_id"))))


@routes.get("/oauth2/applications/@me")
@routes.get("/applications/@me")
async def application(request: web.Request) -> web.Response:
    return json_response(payloads.application(world_of(request)))


@routes.get("/gateway")
async def gateway(request: web.Request) -> web.Response:
    return json_response({"url": request.app[INFO].gateway_url})


@routes.get("/gateway/bot")
async def gateway_bot(request: web.Request) -> web.Response:
    world = world_of(request)
    # one shard per 2,500 guilds, as Discord recommends; at least one
    shards = max(1, -(-len(world.guilds) // 2500))
    return json_response(
        {
            "url": request.app[INFO].gateway_url,
            "shards": shards,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 86_400_000,
                "max_concurrency": 1,
            },
        }
    )


@routes.post("/channels/{channel_id}/typing")
async def typing(request: web.Request) -> web.Response:
    world_of(request).get_channel(snowflake(request, "channel_id"))
    return no_content()

"""SandboxServer: the REST API under /api/v10 and the gateway at /gateway on 127.0.0.1.

Every REST call passes one middleware that injects faults, checks the bot token (except on
the interaction webhook routes, which authenticate by their token), refuses bodies Discord's
OpenAPI spec rejects (400, code 50035, the ``errors`` tree naming the field), turns ApiError
into Discord's JSON errors and records the call in ``server.log``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from aiohttp import web

from sandbox.actors import Actor
from sandbox.calllog import CallLog, LoggedCall
from sandbox.errors import ApiError
from sandbox.faults import Faults, failure_response, rate_limited_response
from sandbox.gateway import GatewayHub, GatewaySession
from sandbox.interactions import InteractionHub
from sandbox.rest import ROUTE_TABLES, validate
from sandbox.rest.common import (
    BODY_KEY,
    INFO,
    INTERACTIONS,
    WORLD,
    ServerInfo,
    json_response,
    parse_body,
)
from sandbox.state import World

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
_TOKEN_ROUTES = ("/webhooks/", "/interactions/")
Handler = Any


class SandboxServer:
    def __init__(self, state: World | None = None, *, token: str = "sandbox-token") -> None:
        self.world = state if state is not None else World()
        self.token = token
        self.log = CallLog()
        self.faults = Faults()
        self.interactions = InteractionHub(self.world)
        self._info = ServerInfo()
        self.gateway = GatewayHub(self.world, token, lambda: self._info.gateway_url)
        self._runner: web.AppRunner | None = None
        self.app = self._make_app()

    # -- lifecycle ----------------------------------------------------------------------
    def _make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._middleware], client_max_size=64 * 1024 * 1024)
        app[WORLD] = self.world
        app[INTERACTIONS] = self.interactions
        app[INFO] = self._info
        for table in ROUTE_TABLES:
            for route in table:
                assert isinstance(route, web.RouteDef)
                app.router.add_route(route.method, API_PREFIX + route.path, route.handler)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}", self._attachment)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        bound = server.sockets[0].getsockname()[1]
        where = f"[{host}]:{bound}" if ":" in host else f"{host}:{bound}"  # an IPv6 address
        self._info.base_url = f"http://{where}"
        self._info.gateway_url = f"ws://{where}/gateway"
        self.world.base_url = self._info.base_url

    async def stop(self) -> None:
        await self.gateway.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- addresses ----------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return self._info.base_url

    @property
    def api_base(self) -> str:
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        return self._info.gateway_url

    # -- gateway controls ---------------------------------------------------------------
    @property
    def sessions(self) -> list[GatewaySession]:
        return self.gateway.sessions

    async def drop_gateway(self) -> int:
        """Drop every bot connection without a close frame; the client RESUMEs."""
        return self.gateway.drop()

    def send_reconnect(self) -> None:
        """op 7: ask every connected client to reconnect and resume."""
        self.gateway.send_reconnect()

    def invalidate_sessions(self, *, resumable: bool = False) -> None:
        """op 9 to every connected client."""
        self.gateway.invalidate(resumable=resumable)

    async def wait_for_bot_ready(self, timeout: float = 10) -> None:  # noqa: ASYNC109
        """Until a bot session has IDENTIFIED and is connected."""
        async with asyncio.timeout(timeout):
            while not self.sessions:
                self.gateway.ready.clear()
                await self.gateway.ready.wait()

    # -- actors -------------------------------------------------------------------------
    def actor(self, user_id: int) -> Actor:
        return Actor(self.world, self.interactions, user_id)

    def act_as(self, name_or_id: str | int) -> Actor:
        if isinstance(name_or_id, int):
            return self.actor(name_or_id)
        return self.actor(self.world.user_named(name_or_id).id)

    # -- plumbing -----------------------------------------------------------------------
    async def _attachment(self, request: web.Request) -> web.Response:
        channel_id = int(request.match_info["channel_id"])
        attachment_id = int(request.match_info["attachment_id"])
        for mid in self.world.history_ids(channel_id):
            for att in self.world.messages[mid].attachments:
                if att.id == attachment_id:
                    return web.Response(
                        body=att.data, content_type=att.content_type or "application/octet-stream"
                    )
        for msg in self.world.messages.values():  # ephemeral answers are not in history
            for att in msg.attachments:
                if att.id == attachment_id and msg.channel_id == channel_id:
                    return web.Response(body=att.data)
        raise web.HTTPNotFound()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if not request.path.startswith(API_PREFIX):
            response: web.StreamResponse = await handler(request)
            return response
        path = request.path[len(API_PREFIX) :]
        logged_path = path + (f"?{request.query_string}" if request.query_string else "")
        request_json: Any = None
        response = await self._handle(request, handler, path)
        request_body = request.get(BODY_KEY)
        if request_body is not None:
            request_json = request_body.for_log()
        response_json: Any = None
        if (
            isinstance(response, web.Response)
            and response.body
            and response.content_type == "application/json"
        ):
            assert isinstance(response.body, bytes)
            response_json = json.loads(response.body)
        self.log.append(
            LoggedCall(
                request.method,
                logged_path,
                response.status,
                request_json,
                response_json,
                datetime.now(UTC),
            )
        )
        return response

    async def _handle(
        self, request: web.Request, handler: Handler, path: str
    ) -> web.StreamResponse:
        try:
            request[BODY_KEY] = await parse_body(request)
            for rule in self.faults.take(request.method, path):
                if rule.kind == "delay":
                    await asyncio.sleep(rule.seconds)
                elif rule.kind == "rate_limit":
                    return rate_limited_response(rule)
                else:
                    return failure_response(rule)
            if (
                not path.startswith(_TOKEN_ROUTES)
                and request.headers.get("Authorization") != f"Bot {self.token}"
            ):
                return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
            if request[BODY_KEY].json is not None:
                validate.against_spec(request.method, path, request[BODY_KEY].json)
            response: web.StreamResponse = await handler(request)
            return response
        except ApiError as exc:
            return json_response(exc.body(), status=exc.status)
        except web.HTTPNotFound:
            return json_response({"message": "404: Not Found", "code": 0}, status=404)
        except web.HTTPMethodNotAllowed:
            return json_response({"message": "405: Method Not Allowed", "code": 0}, status=405)
        except (ValueError, KeyError, TypeError) as exc:
            # malformed bodies (wrong types, missing keys) are the client's fault, as on Discord
            log.info("bad request to %s %s: %r", request.method, path, exc)
            return json_response({"message": "Invalid Form Body", "code": 50035}, status=400)

"""REST routes, one module per area; ``ROUTE_TABLES`` is mounted under ``/api/v10``."""

from __future__ import annotations

from aiohttp import web

from sandbox.rest import (
    channels,
    commands,
    guilds,
    interactions,
    messages,
    reactions,
    threads,
    users,
)

ROUTE_TABLES: tuple[web.RouteTableDef, ...] = (
    users.routes,
    guilds.routes,
    channels.routes,
    threads.routes,
    messages.routes,
    reactions.routes,
    commands.routes,
    interactions.routes,
)

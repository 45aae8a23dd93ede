"""The one place that points discord.py at another Discord (the sandbox).

discord.py reads the REST base from ``discord.http.Route.BASE`` and the first gateway URL
from ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``; reconnects then use READY's
``resume_gateway_url``, which the sandbox sets to itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import discord.gateway
import discord.http
import yarl


def point_discord_at(api_base: str, gateway_url: str) -> None:
    """Send every discord.py REST call to ``api_base`` and gateway connection to ``gateway_url``."""
    discord.http.Route.BASE = api_base.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


@contextmanager
def discord_pointed_at(api_base: str, gateway_url: str) -> Iterator[None]:
    """``point_discord_at`` for a block; restores the previous targets afterwards."""
    previous = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    point_discord_at(api_base, gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = previous

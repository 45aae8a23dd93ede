"""How anbot connects to Discord: the intents it asks for, and the one place that points
discord.py at another Discord-compatible API (the sandbox, or ANBOT_DISCORD_API_BASE).

discord.py has no documented setting for its API base URL. It reads the REST base from the
class attribute ``discord.http.Route.BASE`` and the first gateway URL from the class attribute
``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``; both are set here, for every client in the
process. Reconnects then use READY's ``resume_gateway_url``, which the sandbox sets to itself.
This relies on discord.py internals: an upgrade that renames either attribute breaks it (the
sandbox tests connect through it, so they would fail).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import discord
import discord.gateway
import discord.http
import yarl


def make_intents() -> discord.Intents:
    """Guilds, guild messages with their content (privileged), reactions; no member list."""
    intents = discord.Intents.none()
    intents.guilds = True
    intents.guild_messages = True
    intents.message_content = True
    intents.guild_reactions = True
    return intents


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

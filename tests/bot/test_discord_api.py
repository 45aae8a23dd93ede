"""bot.discord_api: pointing discord.py at another API sets the two class attributes discord.py
reads (REST base, first gateway URL) and the block form restores them."""

from __future__ import annotations

import discord.gateway
import discord.http
import yarl

from bot.discord_api import discord_pointed_at


def test_pointing_sets_rest_base_and_gateway_then_restores_them() -> None:
    before = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
    with discord_pointed_at("http://127.0.0.1:8123/api/v10/", "ws://127.0.0.1:8123/gateway"):
        assert discord.http.Route.BASE == "http://127.0.0.1:8123/api/v10"
        route = discord.http.Route("GET", "/users/@me")
        assert route.url == "http://127.0.0.1:8123/api/v10/users/@me"
        gateway = discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY
        assert gateway == yarl.URL("ws://127.0.0.1:8123/gateway")
    assert before == (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)

"""Answers shaped as Discord's: a REST message has no gateway-only fields (so discord.py makes
its author a ``User``, while the gateway's MESSAGE_CREATE/UPDATE keep ``member`` and
``guild_id``); an interaction callback returns a message only when it sent one; Discord's
3-second and 15-minute interaction deadlines hold. (Every answer of every test is also checked
against the OpenAPI spec by the autouse fixture in tests/conftest.py.)"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import discord
import pytest

from bot.discord_api import discord_pointed_at
from sandbox.interactions import InteractionRecord
from sandbox.testing import running_client
from tests.sandbox.conftest import Env, RecordingClient

JsonDict = dict[str, Any]


@pytest.fixture
async def http(env: Env) -> AsyncIterator[discord.http.HTTPClient]:
    with discord_pointed_at(env.server.api_base, env.server.gateway_url):
        client = discord.http.HTTPClient(asyncio.get_running_loop())
        await client.static_login(env.server.token)
        try:
            yield client
        finally:
            await client.close()


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_rest_messages_have_a_user_author_gateway_ones_a_member(env: Env) -> None:
    world = env.server.world
    world.guilds[env.demo.guild_id].members[env.demo.alice].nick = "Alice of AN"
    channel_id = env.demo.text_channel_id
    async with running_client(env.server, RecordingClient) as client:
        sent = await env.server.act_as("alice").send(channel_id, "hello")
        await client.seen.wait(lambda: bool(client.seen.of("message")))
        live = client.seen.of("message")[0]
        assert isinstance(live.author, discord.Member)
        assert live.author.display_name == "Alice of AN"
        channel = client.get_channel(channel_id)
        assert isinstance(channel, discord.TextChannel)
        fetched = await channel.fetch_message(int(sent["id"]))
        history = [m async for m in channel.history(limit=5)]
        await env.server.act_as("alice").edit(channel_id, int(sent["id"]), "hello again")
        await client.seen.wait(lambda: bool(client.seen.of("edit")))
        edit = client.seen.of("edit")[0]
    for rest in (fetched, history[0]):
        assert type(rest.author) is discord.User, rest.author
        assert rest.author.display_name == "Alice"  # the global name: REST has no nickname
    rest_json = env.server.log.find("GET", rf"/channels/{channel_id}/messages/\d+$")[0]
    assert "member" not in rest_json.response_json and "guild_id" not in rest_json.response_json
    assert edit.data["guild_id"] == str(env.demo.guild_id)
    assert edit.data["member"]["nick"] == "Alice of AN"


def _ping_command(env: Env) -> None:
    world = env.server.world
    world.guild_commands[env.demo.guild_id] = [
        {
            "id": str(world.ids.next()),
            "application_id": str(world.application_id),
            "version": "1",
            "type": 1,
            "name": "ping",
            "description": "ping",
            "options": [],
            "default_member_permissions": None,
        }
    ]


def _interaction(env: Env) -> InteractionRecord:
    _ping_command(env)
    return env.server.interactions.command(env.demo.text_channel_id, env.demo.alice, "ping")


def _callback(record: InteractionRecord) -> discord.http.Route:
    return discord.http.Route(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        interaction_id=record.id,
        interaction_token=record.token,
    )


def _followup(env: Env, record: InteractionRecord) -> discord.http.Route:
    return discord.http.Route(
        "POST",
        "/webhooks/{application_id}/{interaction_token}",
        application_id=env.server.world.application_id,
        interaction_token=record.token,
    )


async def test_callback_resource_holds_a_message_only_when_one_was_sent(
    env: Env, http: discord.http.HTTPClient
) -> None:
    deferred, answered = _interaction(env), _interaction(env)
    params = {"with_response": "true"}
    thinking = await http.request(_callback(deferred), json={"type": 5}, params=params)
    said = await http.request(
        _callback(answered), json={"type": 4, "data": {"content": "pong"}}, params=params
    )
    assert "message" not in (thinking.get("resource") or {}), thinking
    assert thinking["interaction"]["response_message_loading"] is True
    assert said["resource"]["type"] == 4
    assert said["resource"]["message"]["content"] == "pong"
    assert said["interaction"]["response_message_id"] == said["resource"]["message"]["id"]


async def test_a_callback_after_three_seconds_is_an_unknown_interaction(
    env: Env, http: discord.http.HTTPClient
) -> None:
    clock = Clock()
    env.server.interactions.clock = clock
    in_time, too_late = _interaction(env), _interaction(env)
    clock.now += 2.9
    await http.request(_callback(in_time), json={"type": 5})
    clock.now += 0.2  # 3.1 s after INTERACTION_CREATE
    with pytest.raises(discord.NotFound) as refused:
        await http.request(_callback(too_late), json={"type": 4, "data": {"content": "late"}})
    assert refused.value.code == 10062
    result = await env.server.interactions.settle(too_late, timeout=5)
    assert result.failed and result.late_callback == pytest.approx(3.1)
    assert result.type is None and result.content == ""
    in_time_result = env.server.interactions.result(in_time)
    assert in_time_result.deferred and not in_time_result.failed


async def test_the_interaction_token_serves_follow_ups_for_fifteen_minutes(
    env: Env, http: discord.http.HTTPClient
) -> None:
    clock = Clock()
    env.server.interactions.clock = clock
    record = _interaction(env)
    await http.request(_callback(record), json={"type": 4, "data": {"content": "first"}})
    clock.now += 15 * 60 - 1
    await http.request(_followup(env, record), json={"content": "still in time"})
    clock.now += 2
    with pytest.raises(discord.HTTPException) as expired:
        await http.request(_followup(env, record), json={"content": "too late"})
    assert (expired.value.status, expired.value.code) == (401, 50027)
    contents = [m.content for m in env.server.interactions.result(record).followups]
    assert contents == ["still in time"]


async def test_autocomplete_answer_names_no_message(
    env: Env, http: discord.http.HTTPClient
) -> None:
    _ping_command(env)
    world = env.server.world
    command = world.guild_commands[env.demo.guild_id][0]
    command["options"] = [
        {"type": 3, "name": "q", "description": "q", "autocomplete": True, "required": True}
    ]
    record = env.server.interactions.command(
        env.demo.text_channel_id, env.demo.alice, "ping", {"q": "a"}, focused="q"
    )
    answer = await http.request(
        _callback(record),
        json={"type": 8, "data": {"choices": [{"name": "a", "value": "a"}]}},
        params={"with_response": "true"},
    )
    assert "response_message_id" not in answer["interaction"]
    assert "resource" not in answer


async def test_commands_answer_permissions_as_strings(
    env: Env, http: discord.http.HTTPClient
) -> None:
    world = env.server.world
    route = discord.http.Route(
        "PUT",
        "/applications/{application_id}/guilds/{guild_id}/commands",
        application_id=world.application_id,
        guild_id=env.demo.guild_id,
    )
    # discord.py sends the bit set as an integer; Discord answers it as a string
    synced = await http.request(
        route, json=[{"name": "mod", "description": "m", "default_member_permissions": 8192}]
    )
    assert synced[0]["default_member_permissions"] == "8192"


async def test_rate_limit_and_thread_listing_bodies(env: Env) -> None:
    env.server.faults.rate_limit("POST", r"/messages$", retry_after=0.05)
    async with running_client(env.server, RecordingClient) as client:
        channel = client.get_channel(env.demo.text_channel_id)
        assert isinstance(channel, discord.TextChannel)
        await channel.send("after a 429")
        guild = client.get_guild(env.demo.guild_id)
        assert guild is not None
        await guild.active_threads()
    limited = env.server.log.find("POST", r"/messages$", status=429)[0]
    assert limited.response_json["code"] == 0
    listing = env.server.log.find("GET", r"/threads/active$")[0]
    assert listing.response_json["has_more"] is False

"""Discord's rules the bot must live with: mentions, limits, nonces, forwards, sharding."""

from __future__ import annotations

import asyncio
import io

import discord
import pytest

from bot.discord_api import make_intents
from sandbox.demo import build_demo_world
from sandbox.errors import ApiError
from sandbox.server import SandboxServer
from sandbox.testing import running_client
from tests.sandbox.conftest import Env, RecordingClient


async def test_allowed_mentions_none_never_pings(env: Env) -> None:
    role = env.demo.moderator_role_id
    content = f"@everyone <@{env.demo.alice}> <@&{role}>"
    async with running_client(
        env.server, lambda: RecordingClient(allowed_mentions=discord.AllowedMentions.none())
    ) as client:
        channel = client.get_channel(env.demo.text_channel_id)
        assert isinstance(channel, discord.TextChannel)
        quiet = await channel.send(content)
        loud = await channel.send(content, allowed_mentions=discord.AllowedMentions.all())
    world = env.server.world
    stored = world.message(quiet.id)
    assert stored["allowed_mentions"] == {"parse": []}
    assert (stored["mentions"], stored["mention_roles"], stored["mention_everyone"]) == (
        [],
        [],
        False,
    )
    pinged = world.message(loud.id)
    assert [u["id"] for u in pinged["mentions"]] == [str(env.demo.alice)]
    assert pinged["mention_roles"] == [str(role)]
    # the bot role lacks MENTION_EVERYONE, so even parse=everyone does not ping everyone
    assert pinged["mention_everyone"] is False


async def test_limits_are_enforced_like_discord(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        channel = client.get_channel(env.demo.text_channel_id)
        forum = client.get_channel(env.demo.forum_channel_id)
        assert isinstance(channel, discord.TextChannel) and isinstance(forum, discord.ForumChannel)
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.code == 50035
        with pytest.raises(discord.HTTPException) as long_name:
            await forum.create_thread(name="n" * 101, content="x")
        assert long_name.value.code == 50035
        with pytest.raises(discord.HTTPException) as big_embed:
            await channel.send(embed=discord.Embed(description="d" * 4097))
        assert big_embed.value.code == 50035
        assert (await channel.send("x" * 2000)).content == "x" * 2000


async def test_enforce_nonce_returns_the_first_message(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        http = client.http
        channel_id = env.demo.text_channel_id
        payload = {"content": "once", "nonce": "abc123", "enforce_nonce": True}
        route = discord.http.Route("POST", "/channels/{channel_id}/messages", channel_id=channel_id)
        first = await http.request(route, json=payload)
        second = await http.request(route, json=payload)
        assert first["id"] == second["id"]
        assert [m["content"] for m in env.server.world.messages_in(channel_id)] == ["once"]


async def test_forward_and_file_upload(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        channel = client.get_channel(env.demo.text_channel_id)
        assert isinstance(channel, discord.TextChannel)

        sent = await channel.send(
            "export", file=discord.File(io.BytesIO(b"a,b\n1,2\n"), "export.csv")
        )
        assert sent.attachments[0].filename == "export.csv"
        assert await sent.attachments[0].read() == b"a,b\n1,2\n"
        with pytest.raises(ApiError) as hidden:  # dave may not post in the moderators' channel
            await env.server.act_as("dave").forward(channel.id, sent.id, env.demo.hidden_channel_id)
        assert hidden.value.code == 50001
        forwarded = await env.server.act_as("mira").forward(
            channel.id, sent.id, env.demo.hidden_channel_id
        )
        assert forwarded["message_reference"]["type"] == 1
        await client.seen.wait(
            lambda: any(m.id == int(forwarded["id"]) for m in client.seen.of("message"))
        )
        got = next(m for m in client.seen.of("message") if m.id == int(forwarded["id"]))
        assert got.message_snapshots[0].content == "export"


async def test_two_shards_each_get_their_guild() -> None:
    world, demo = build_demo_world()
    other = world.add_guild("Second guild", demo.owner_id)
    world.add_member(other.id, world.bot_user_id)
    async with SandboxServer(world) as server:
        factory = lambda: discord.AutoShardedClient(  # noqa: E731
            intents=make_intents(), shard_count=2, guild_ready_timeout=0.1
        )
        async with running_client(server, factory) as client:
            assert {s.shard_id for s in server.sessions} == {0, 1}
            for guild in client.guilds:
                assert guild.shard_id == (guild.id >> 22) % 2
            assert {g.id for g in client.guilds} == {demo.guild_id, other.id}
            await asyncio.sleep(0)

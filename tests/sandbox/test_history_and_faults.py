"""History paging, rate limits, server errors, dropped connections and downtime."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord

from sandbox.testing import running_client
from tests.sandbox.conftest import Env, RecordingClient


async def test_history_pages_newest_first_with_before_after_and_dates(env: Env) -> None:
    text = env.demo.text_channel_id
    alice = env.server.act_as("alice")
    start = datetime.now(UTC) - timedelta(days=3)
    sent = [await alice.send(text, f"m{i}", at=start + timedelta(hours=i)) for i in range(7)]
    ids = [int(m["id"]) for m in sent]
    assert ids == sorted(ids)
    async with running_client(env.server, RecordingClient) as client:
        channel = client.get_channel(text)
        assert isinstance(channel, discord.TextChannel)
        newest = [m.id async for m in channel.history(limit=3)]
        assert newest == ids[::-1][:3]
        before = [m.id async for m in channel.history(limit=2, before=discord.Object(id=ids[4]))]
        assert before == [ids[3], ids[2]]
        after = [m.id async for m in channel.history(limit=None, after=discord.Object(id=ids[4]))]
        assert after == [ids[5], ids[6]]
        # paging through everything with a page size smaller than the history
        everything = [m.id async for m in channel.history(limit=None, oldest_first=True)]
        assert everything == ids
        since = [
            m.content async for m in channel.history(after=start + timedelta(hours=4, minutes=30))
        ]
        assert since == ["m5", "m6"]
        around = [m.id async for m in channel.history(limit=3, around=discord.Object(id=ids[3]))]
        assert sorted(around) == ids[2:5]
    calls = env.server.log.find("GET", rf"/channels/{text}/messages\?")
    assert any("after=" in c.path for c in calls) and any("before=" in c.path for c in calls)
    # the raw REST answer is newest first also for after=
    after_call = next(c for c in calls if "after=" in c.path)
    got = [int(m["id"]) for m in after_call.response_json]
    assert got == sorted(got, reverse=True)


async def test_rate_limit_is_obeyed_and_logged(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        channel = client.get_channel(env.demo.text_channel_id)
        assert isinstance(channel, discord.TextChannel)
        env.server.faults.rate_limit("POST", r"/channels/\d+/messages$", times=2, retry_after=0.05)
        message = await channel.send("after the limit")
        calls = env.server.log.find("POST", rf"/channels/{channel.id}/messages$")
        assert [c.status for c in calls] == [429, 429, 200]
        assert calls[0].response_json["retry_after"] == 0.05
        assert [m["content"] for m in env.server.world.messages_in(channel.id)] == [
            "after the limit"
        ]
        assert message.content == "after the limit"


async def test_global_rate_limit_and_server_error_are_retried(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        channel = client.get_channel(env.demo.text_channel_id)
        assert isinstance(channel, discord.TextChannel)
        env.server.faults.rate_limit("POST", r"/messages$", retry_after=0.05, scope="global")
        env.server.faults.fail("POST", r"/messages$", status=502)
        await channel.send("eventually")
        statuses = [c.status for c in env.server.log.find("POST", r"/messages$")]
        assert statuses[:2] in ([429, 502], [502, 429]) and statuses[-1] == 200
        env.server.faults.fail("GET", r"/channels/\d+$", status=403)
        try:
            await client.fetch_channel(channel.id)
        except discord.Forbidden as exc:
            assert exc.status == 403
        else:
            raise AssertionError("an injected 403 must reach the caller")


async def test_slow_response_still_answers(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        channel = client.get_channel(env.demo.text_channel_id)
        assert isinstance(channel, discord.TextChannel)
        rule = env.server.faults.delay("POST", r"/messages$", seconds=0.2)
        await channel.send("slowly")
        assert rule.fired == 1


async def test_dropped_connection_resumes_and_replays_missed_events_once(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        text = env.demo.text_channel_id
        alice = env.server.act_as("alice")
        before = await alice.send(text, "before drop")
        await client.seen.wait(lambda: len(client.seen.of("message")) == 1)
        session = env.server.sessions[0]
        assert await env.server.drop_gateway() == 1
        missed = [await alice.send(text, f"while dropped {i}") for i in range(3)]
        await client.seen.wait(lambda: bool(client.seen.of("resumed")))
        after = await alice.send(text, "after resume")
        await client.seen.wait(
            lambda: any(m.id == int(after["id"]) for m in client.seen.of("message"))
        )
        got = [m.id for m in client.seen.of("message")]
        expected = [int(before["id"]), *(int(m["id"]) for m in missed), int(after["id"])]
        assert got == expected  # all delivered, in order, nothing doubled
        assert session.resumes == 1
        assert env.server.gateway.identifies == 1


async def test_op7_reconnect_resumes(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        env.server.send_reconnect()
        await client.seen.wait(lambda: bool(client.seen.of("resumed")))
        sent = await env.server.act_as("bob").send(env.demo.text_channel_id, "still here")
        await client.seen.wait(
            lambda: any(m.id == int(sent["id"]) for m in client.seen.of("message"))
        )
        assert env.server.gateway.identifies == 1


async def test_invalid_session_makes_the_client_identify_again(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        env.server.invalidate_sessions(resumable=False)
        await client.seen.wait(lambda: len(client.seen.of("connect")) >= 2)
        sent = await env.server.act_as("bob").send(env.demo.text_channel_id, "new session")
        await client.seen.wait(
            lambda: any(m.id == int(sent["id"]) for m in client.seen.of("message"))
        )
        assert env.server.gateway.identifies == 2


async def test_posts_while_bot_offline_are_stored_but_not_replayed_to_a_new_session(
    env: Env,
) -> None:
    text = env.demo.text_channel_id
    async with running_client(env.server, RecordingClient):
        pass
    offline = await env.server.act_as("carol").send(text, "posted while the bot was down")
    async with running_client(env.server, RecordingClient) as client:
        live = await env.server.act_as("carol").send(text, "posted while up")
        await client.seen.wait(lambda: bool(client.seen.of("message")))
        assert [m.id for m in client.seen.of("message")] == [int(live["id"])]
        channel = client.get_channel(text)
        assert isinstance(channel, discord.TextChannel)
        history = [m.id async for m in channel.history(limit=10)]
        assert int(offline["id"]) in history

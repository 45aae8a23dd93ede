"""The unmodified discord.py client logs in, caches the guild and creates forum posts."""

from __future__ import annotations

import discord
import pytest

from sandbox.errors import ApiError
from sandbox.permissions import P
from sandbox.testing import running_client
from tests.sandbox.conftest import Env, RecordingClient


async def test_login_ready_and_guild_cache(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        assert client.user is not None and client.user.id == env.demo.bot_user_id
        assert client.application_id == env.demo.application_id
        guild = client.get_guild(env.demo.guild_id)
        assert guild is not None
        forum = guild.get_channel(env.demo.forum_channel_id)
        assert isinstance(forum, discord.ForumChannel)
        assert [t.name for t in forum.available_tags] == ["Announcements", "Research"]
        assert isinstance(guild.get_channel(env.demo.text_channel_id), discord.TextChannel)
        paths = [c.path for c in env.server.log]
        assert "/users/@me" in paths and "/oauth2/applications/@me" in paths
        # the client asked for zlib-stream and got compressed frames
        assert env.server.sessions[0].compress == "zlib-stream"
        assert env.server.sessions[0].connection is not None
        assert env.server.sessions[0].connection.frames_sent >= 2


async def test_wrong_token_is_refused(env: Env) -> None:
    with pytest.raises(discord.LoginFailure):
        async with running_client(env.server, RecordingClient, token="not-the-token"):
            pass
    assert env.server.log[-1].status == 401


async def test_forum_post_starter_id_is_thread_id_and_thread_is_cached(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        forum = client.get_channel(env.demo.forum_channel_id)
        assert isinstance(forum, discord.ForumChannel)
        research = next(t for t in forum.available_tags if t.name == "Research")
        thread, message = await forum.create_thread(
            name="Summary: reward learning", content="Starter text", applied_tags=[research]
        )
        assert thread.id == message.id
        await client.seen.wait(
            lambda: any(t.id == thread.id for t in client.seen.of("thread_create"))
        )
        cached = client.get_channel(thread.id)
        assert isinstance(cached, discord.Thread)
        assert cached.parent_id == forum.id
        assert [t.id for t in cached.applied_tags] == [research.id]
        stored = env.server.world.channel(thread.id)
        assert stored["applied_tags"] == [str(research.id)]
        assert env.server.world.messages_in(thread.id)[0]["content"] == "Starter text"


async def test_forum_tag_edit_and_unknown_tag_refused(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        forum = client.get_channel(env.demo.forum_channel_id)
        assert isinstance(forum, discord.ForumChannel)
        tags = [*forum.available_tags, discord.ForumTag(name="Interpretability")]
        edited = await forum.edit(available_tags=tags)
        assert isinstance(edited, discord.ForumChannel)
        assert [t.name for t in edited.available_tags][-1] == "Interpretability"
        # ids of existing tags are kept
        assert edited.available_tags[0].id == forum.available_tags[0].id
        with pytest.raises(discord.HTTPException) as info:
            unknown = discord.Object(id=123)
            await forum.create_thread(name="x", content="y", applied_tags=[unknown])  # type: ignore[list-item]
        assert info.value.code == 50035


async def test_replies_reach_on_message_with_reference(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        forum = client.get_channel(env.demo.forum_channel_id)
        assert isinstance(forum, discord.ForumChannel)
        thread, starter = await forum.create_thread(name="Post", content="Root")
        alice = env.server.act_as("alice")
        bob = env.server.act_as("bob")
        first = await alice.send(thread.id, "I disagree", reply_to=starter.id)
        second = await bob.send(thread.id, "Why?", reply_to=int(first["id"]))
        await client.seen.wait(
            lambda: any(m.id == int(second["id"]) for m in client.seen.of("message"))
        )
        got = {m.id: m for m in client.seen.of("message")}
        reply = got[int(second["id"])]
        assert reply.type is discord.MessageType.reply
        assert reply.reference is not None and reply.reference.message_id == int(first["id"])
        assert reply.channel.id == thread.id
        assert got[int(first["id"])].reference.message_id == starter.id


async def test_edits_deletes_and_reactions_are_dispatched(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        text = env.demo.text_channel_id
        bob, carol, dave, mira = (env.server.act_as(n) for n in ("bob", "carol", "dave", "mira"))
        sent = await bob.send(text, "first")
        mid = int(sent["id"])
        await bob.edit(text, mid, "first (edited)")
        await dave.react(text, mid, "👍")
        await dave.unreact(text, mid, "👍")
        with pytest.raises(ApiError) as denied:
            await carol.delete(text, mid)
        assert denied.value.code == 50013
        await mira.delete(text, mid)
        a, b = await carol.send(text, "a"), await carol.send(text, "b")
        await mira.bulk_delete(text, [int(a["id"]), int(b["id"])])
        await client.seen.wait(lambda: bool(client.seen.of("bulk_delete")))
        assert client.seen.of("edit")[0].data["content"] == "first (edited)"
        assert str(client.seen.of("reaction_add")[0].emoji) == "👍"
        assert client.seen.of("reaction_remove")[0].user_id == env.demo.dave
        assert client.seen.of("delete")[0].message_id == mid
        assert client.seen.of("bulk_delete")[0].message_ids == {int(a["id"]), int(b["id"])}


async def test_member_without_view_permission_cannot_see_hidden_channel(env: Env) -> None:
    world = env.server.world
    hidden = env.demo.hidden_channel_id
    assert not world.can(env.demo.alice, hidden, P.VIEW_CHANNEL)
    assert world.can(env.demo.mira, hidden, P.VIEW_CHANNEL)
    with pytest.raises(ApiError) as info:
        await env.server.act_as("alice").send(hidden, "let me in")
    assert info.value.code == 50001
    intents = discord.Intents.default()
    intents.members = True
    intents.message_content = True
    async with running_client(env.server, lambda: RecordingClient(intents=intents)) as client:
        guild = client.get_guild(env.demo.guild_id)
        assert guild is not None
        channel = guild.get_channel(hidden)
        alice, mira = guild.get_member(env.demo.alice), guild.get_member(env.demo.mira)
        assert channel is not None and alice is not None and mira is not None
        # discord.py computes the same answer from the overwrites the sandbox sent
        assert not channel.permissions_for(alice).view_channel
        assert channel.permissions_for(mira).view_channel


async def test_bot_gets_403_where_it_cannot_post_and_no_events_from_there(env: Env) -> None:
    world = env.server.world
    secret = world.add_channel(env.demo.guild_id, "secret")
    world.set_overwrite(secret.id, env.demo.bot_role_id, type=0, deny=int(P.VIEW_CHANNEL))
    async with running_client(env.server, RecordingClient) as client:
        channel = client.get_channel(secret.id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.Forbidden) as info:
            await channel.send("hello")
        assert info.value.code == 50001
        await env.server.act_as("alice").send(secret.id, "private")
        marker = await env.server.act_as("alice").send(env.demo.text_channel_id, "public")
        await client.seen.wait(
            lambda: any(m.id == int(marker["id"]) for m in client.seen.of("message"))
        )
        assert [m.content for m in client.seen.of("message")] == ["public"]


async def test_message_content_is_blank_without_the_intent(env: Env) -> None:
    intents = discord.Intents.default()
    intents.message_content = False
    async with running_client(env.server, lambda: RecordingClient(intents=intents)) as client:
        sent = await env.server.act_as("eve").send(env.demo.text_channel_id, "secret words")
        await client.seen.wait(lambda: bool(client.seen.of("message")))
        assert client.seen.of("message")[0].id == int(sent["id"])
        assert client.seen.of("message")[0].content == ""


async def test_archived_and_active_thread_listings(env: Env) -> None:
    async with running_client(env.server, RecordingClient) as client:
        forum = client.get_channel(env.demo.forum_channel_id)
        assert isinstance(forum, discord.ForumChannel)
        made = [(await forum.create_thread(name=f"Post {i}", content="x")).thread for i in range(5)]
        for th in made[:3]:
            env.server.world.archive_thread(th.id)
        archived = [t async for t in forum.archived_threads(limit=None)]
        assert [t.id for t in archived] == [made[2].id, made[1].id, made[0].id]
        assert all(t.archived for t in archived)
        paged = [t async for t in forum.archived_threads(limit=2)]
        assert len(paged) == 2
        guild = client.get_guild(env.demo.guild_id)
        assert guild is not None
        active = await guild.active_threads()
        assert {t.id for t in active} == {made[3].id, made[4].id}

"""`/an discuss` exactly once across a crash: `anbot run` as a subprocess, SIGKILLed inside the
sandbox's handling of the discussion post's creation (the post exists on "Discord", the bot
never saw the answer and never committed), then restarted: the post is adopted by its outbox
row, and asking again links it: one post."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from sandbox.demo import build_demo_world
from sandbox.models import ChannelType
from sandbox.server import SandboxServer
from sandbox.state import Event
from storage import publications as pubs
from storage.db import Database
from storage.feeds import set_setting
from storage.models import Summary
from tests.bot.conftest import FeedFiles, wait_for
from tests.botproc import bot_environment, start_bot, stop_bot

pytestmark = pytest.mark.slow


async def test_sigkill_between_discord_answer_and_commit_gives_one_post(tmp_path: Path) -> None:
    world, demo = build_demo_world()
    forum = world.add_channel(demo.guild_id, "discussions", ChannelType.GUILD_FORUM).id
    server = SandboxServer(world)
    feeds = FeedFiles()
    await feeds.start()
    await server.start()
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'anbot.db'}"
    db = Database(db_url)
    await db.upgrade()
    async with db.session() as s:
        await set_setting(s, f"discuss_channel:{demo.guild_id}", str(forum))
        await s.commit()
    log = tmp_path / "bot.log"
    env = bot_environment(
        server,
        demo,
        db_url,
        [feeds.url("an.atom")],
        ANBOT_POLL_INTERVAL="3600",
        ANBOT_BACKFILL="0",
        ANBOT_DEV_GUILD_ID=str(demo.guild_id),
    )
    killed: list[int] = []
    process: asyncio.subprocess.Process | None = None

    def kill_on_discussion_post(event: Event) -> None:
        data: dict[str, Any] = event.data
        if event.name != "MESSAGE_CREATE" or data.get("id") != data.get("channel_id"):
            return
        if killed or process is None or not world.threads_in(forum):
            return
        os.kill(process.pid, signal.SIGKILL)  # before the response leaves the sandbox
        killed.append(int(data["id"]))

    async def summaries() -> list[Summary]:
        async with db.session() as s:
            return list((await s.exec(select(Summary))).all())

    try:
        process = await start_bot(env, tmp_path, log)
        await wait_for(summaries, timeout=60)  # the first poll recorded them, posting none
        summary = (await summaries())[0]
        await wait_for(lambda: server.world.guild_commands.get(demo.guild_id), timeout=30)
        world.subscribe(kill_on_discussion_post)
        alice = server.act_as("alice")
        with contextlib.suppress(TimeoutError, AssertionError):
            await alice.run_command(
                demo.text_channel_id, "an discuss", {"summary": f"id:{summary.id}"}, timeout=20
            )
        assert await asyncio.wait_for(process.wait(), 60) == -signal.SIGKILL
        world.unsubscribe(kill_on_discussion_post)
        assert len(killed) == 1 and len(world.threads_in(forum)) == 1
        async with db.session() as s:
            row = await pubs.discussion_of(s, summary_id=summary.id or 0)
        assert row is not None and row.status == "posting"

        process = await start_bot(env, tmp_path, log)

        async def healed() -> bool:
            async with db.session() as s:
                found = await pubs.discussion_of(s, summary_id=summary.id or 0)
            return found is not None and found.status == "posted"

        await wait_for(healed, timeout=60)
        bob = server.act_as("bob")
        answer = await bob.run_command(
            demo.text_channel_id, "an discuss", {"summary": f"id:{summary.id}"}, timeout=30
        )
        assert f"/channels/{demo.guild_id}/{killed[0]}" in answer.content
        assert [int(t["id"]) for t in world.threads_in(forum)] == killed
        creates = [
            c
            for c in server.log.find("POST", rf"/channels/{forum}/threads(\?|$)")
            if c.status < 300
        ]
        assert len(creates) == 1
    finally:
        await stop_bot(process)
        await db.dispose()
        await server.stop()
        await feeds.stop()

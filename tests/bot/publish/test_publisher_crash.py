"""Exactly once across a crash: `anbot run` as a subprocess, SIGKILLed inside the sandbox's
handling of the first forum-post creation (the post exists on "Discord", the bot never saw the
answer and never committed), then restarted: 12 posts, no duplicate, nothing missing."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from sandbox.demo import build_demo_world
from sandbox.server import SandboxServer
from sandbox.state import Event
from storage import publications as pubs
from storage.db import Database
from tests.bot.conftest import FeedFiles, wait_for
from tests.botproc import bot_environment, start_bot, stop_bot

pytestmark = pytest.mark.slow

TOKEN = "crash-test-token-0123456789abcdefghijklmnopqrstuvwxyz"


async def test_sigkill_between_discord_answer_and_commit_heals(tmp_path: Path) -> None:
    world, demo = build_demo_world()
    server = SandboxServer(world, token=TOKEN)
    feeds = FeedFiles()
    await feeds.start()
    await server.start()
    db_url = f"sqlite+aiosqlite:///{tmp_path / 'anbot.db'}"
    db = Database(db_url)
    log = tmp_path / "bot.log"
    env = bot_environment(server, demo, db_url, [feeds.url("an.atom")], ANBOT_POLL_INTERVAL="3600")
    killed: list[int] = []
    process: asyncio.subprocess.Process | None = None

    def kill_on_first_post(event: Event) -> None:
        # A forum post's starter message has the thread's id: the post now exists.
        data: dict[str, Any] = event.data
        if event.name != "MESSAGE_CREATE" or data.get("id") != data.get("channel_id"):
            return
        if int(data["author"]["id"]) != demo.bot_user_id or killed or process is None:
            return
        if len(world.threads_in(demo.forum_channel_id)) == 1:
            os.kill(process.pid, signal.SIGKILL)  # before the response leaves the sandbox
            killed.append(int(data["id"]))

    world.subscribe(kill_on_first_post)
    try:
        process = await start_bot(env, tmp_path, log)
        assert await asyncio.wait_for(process.wait(), 60) == -signal.SIGKILL
        assert len(killed) == 1
        world.unsubscribe(kill_on_first_post)
        assert len(world.threads_in(demo.forum_channel_id)) == 1
        # Killed after the starter: the HARK post's follow-up messages were never sent.
        assert len(world.messages_in(killed[0])) == 1
        async with db.session() as s:
            counts = await pubs.status_counts(s)
        # The first post reached "Discord" but its row still says posting.
        assert counts == {"posting": 1, "pending": 11}

        process = await start_bot(env, tmp_path, log)

        async def all_posted() -> bool:
            async with db.session() as s:
                return await pubs.status_counts(s) == {"posted": 12}

        await wait_for(all_posted, timeout=60)
        threads = world.threads_in(demo.forum_channel_id)
        assert len(threads) == 12
        assert len({t["name"] for t in threads}) == 12
        creates = [c for c in server.log.find("POST", r"/threads(\?|$)") if c.status < 300]
        assert len(creates) == 12
        async with db.session() as s:
            rows = await pubs.list_publications(s)
        assert sorted(r.thread_id for r in rows) == sorted(int(t["id"]) for t in threads)
        adopted = next(r for r in rows if r.thread_id == killed[0])
        assert adopted.attempts == 1  # adopted by its starter's hash, not posted again
        assert adopted.starter_hash is not None
        hark = [m["content"] for m in world.messages_in(killed[0])]
        assert len(hark) > 1 and "make sense to collaborate" in hark[-1]
        for thread in threads:
            contents = [m["content"] for m in world.messages_in(int(thread["id"]))]
            assert len(contents) == len(set(contents))  # no follow-up chunk twice
            assert not any("anbot:pub" in c for c in contents)
    finally:
        await stop_bot(process)
        await db.dispose()
        await server.stop()
        await feeds.stop()
    output = log.read_text(errors="replace")
    assert TOKEN not in output
    assert "this process is now the leader" not in output  # SQLite: always leader, no lock

"""A feed added in one shard process is polled by the leader (the other process) within a poll
interval: two `anbot run` processes on one PostgreSQL, the feed added with `/an feed add` in the
guild of the process that does not lead."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from sandbox.demo import build_demo_world
from sandbox.server import SandboxServer
from storage import publications as pubs
from storage.db import Database
from tests.bot.conftest import FeedFiles, wait_for
from tests.bot.test_scaleout_processes import AN_ATOM, LEADER_LINE, fresh_database
from tests.botproc import bot_environment, start_bot, stop_bot

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
__all__ = ["fresh_database"]  # the fixture, shared with the scale-out test
POLL = 1.0


async def test_feed_added_in_a_follower_is_polled_by_the_leader(
    fresh_database: str, tmp_path: Path
) -> None:
    world, demo = build_demo_world()
    feeds = FeedFiles()
    feeds.set("added.atom", AN_ATOM)
    await feeds.start()
    server = SandboxServer(world)
    await server.start()
    db = Database(fresh_database)
    await db.upgrade()
    env = bot_environment(
        server, demo, fresh_database, [], ANBOT_POLL_INTERVAL=str(POLL), ANBOT_SHARD_COUNT="2"
    )
    logs = [tmp_path / "shard0.log", tmp_path / "shard1.log"]
    leader = 1 - (demo.guild_id >> 22) % 2  # the shard without the demo guild starts first
    follower = 1 - leader
    procs: list[asyncio.subprocess.Process] = []
    try:
        for shard in (leader, follower):
            procs.append(
                await start_bot({**env, "ANBOT_SHARD_IDS": str(shard)}, tmp_path, logs[shard])
            )
            if shard == leader:
                await wait_for(lambda: LEADER_LINE in logs[leader].read_text(), timeout=30)
        # The follower is ready (its mirror caught up after READY) before the command.
        await wait_for(lambda: "caught up" in logs[follower].read_text(), timeout=30)
        url = feeds.url("added.atom")
        result = await server.act_as("mira").run_command(
            demo.text_channel_id,
            "an feed add",
            {"url": url, "channel": str(demo.forum_channel_id), "backfill": 1},
            timeout=30,
        )
        assert result.content.startswith("Added. AN feed: 2 items"), result.content
        # The follower answered (its guild); the leader polls the feed and publishes it.
        await wait_for(lambda: f"polled {url}" in logs[leader].read_text(), timeout=3 * POLL + 10)
        assert f"polled {url}" not in logs[follower].read_text()

        async def posted() -> bool:
            async with db.session() as s:
                counts = await pubs.status_counts(s)
            return counts.get("posted", 0) > 0 and set(counts) == {"posted"}

        await wait_for(posted, timeout=60)
        threads = world.threads_in(demo.forum_channel_id)
        assert len({t["name"] for t in threads}) == len(threads) > 0  # each once
    finally:
        for proc in procs:
            await stop_bot(proc)
        await db.dispose()
        await server.stop()
        await feeds.stop()

"""Scale-out as deployed: two `anbot run` processes (shard 0 and shard 1 of 2) on one PostgreSQL.

Exactly one of them polls and publishes (the PostgreSQL advisory lock); when it is SIGKILLed the
other takes the lock at its next poll — within one poll interval — and publishes what arrives
next. No post is ever made twice.
"""

from __future__ import annotations

import asyncio
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
import pytest

from sandbox.demo import build_demo_world
from sandbox.server import SandboxServer
from storage import publications as pubs
from storage.db import Database
from tests.bot.conftest import FeedFiles, wait_for
from tests.botproc import bot_environment, start_bot, stop_bot
from tests.conftest import POSTGRES_URL, postgres_or_skip

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

LEADER_LINE = "this process is now the leader"
FOLLOWER_LINE = "another process is the leader; not polling"
POLL = 1.0
AN_ATOM = (Path(__file__).resolve().parents[1] / "data" / "feeds" / "an.atom").read_text()


@pytest.fixture
async def fresh_database() -> AsyncIterator[str]:
    """A database of its own (the processes cannot share a per-test schema's search_path)."""
    postgres_or_skip()
    name = f"anbot_scale_{uuid.uuid4().hex[:10]}"
    admin_dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin_dsn)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await conn.close()


def issue_57() -> str:
    """The fixture feed with one more, newer entry: AN #56 republished as AN #57."""
    start = AN_ATOM.index("<entry>")
    end = AN_ATOM.index("</entry>", start) + len("</entry>")
    entry = AN_ATOM[start:end].replace("#56", "#57").replace("56", "57")
    return AN_ATOM[:start] + entry + AN_ATOM[start:]


@dataclass
class Shards:
    """Two `anbot run` processes, shard 0 and shard 1 of 2, on one database and one sandbox."""

    world: Any
    demo: Any
    feeds: FeedFiles
    server: SandboxServer
    db: Database
    logs: list[Path]  # indexed by shard
    procs: dict[int, asyncio.subprocess.Process]  # shard -> its process
    first: int  # the shard started first, which therefore leads


@asynccontextmanager
async def two_shards(
    database: str, tmp_path: Path, feed: str, *, subscribed: bool, **env: str
) -> AsyncIterator[Shards]:
    """The sandbox, `feed` (AN_ATOM) served over HTTP, and both shards started, the one without
    the demo guild first and leading (so the leader publishes to a guild it does not cache, by
    REST alone); `subscribed`: the feed is in ANBOT_FEEDS. Everything is stopped on exit."""
    world, demo = build_demo_world()
    feeds = FeedFiles()
    feeds.set(feed, AN_ATOM)
    await feeds.start()
    server = SandboxServer(world)
    await server.start()
    db = Database(database)
    await db.upgrade()
    environment = bot_environment(
        server,
        demo,
        database,
        [feeds.url(feed)] if subscribed else [],
        ANBOT_POLL_INTERVAL=str(POLL),
        ANBOT_SHARD_COUNT="2",
        **env,
    )
    logs = [tmp_path / "shard0.log", tmp_path / "shard1.log"]
    first = 1 - (demo.guild_id >> 22) % 2
    procs: dict[int, asyncio.subprocess.Process] = {}
    try:
        for shard in (first, 1 - first):
            procs[shard] = await start_bot(
                {**environment, "ANBOT_SHARD_IDS": str(shard)}, tmp_path, logs[shard]
            )
            if shard == first:
                await wait_for(lambda: LEADER_LINE in logs[first].read_text(), timeout=30)
        yield Shards(world, demo, feeds, server, db, logs, procs, first)
    finally:
        for proc in procs.values():
            await stop_bot(proc)
        await db.dispose()
        await server.stop()
        await feeds.stop()


async def test_two_shard_processes_one_leader_and_takeover_after_sigkill(
    fresh_database: str, tmp_path: Path
) -> None:
    async with two_shards(
        fresh_database, tmp_path, "scale.atom", subscribed=True, ANBOT_LOG_LEVEL="DEBUG"
    ) as shards:
        db, logs, procs, world = shards.db, shards.logs, shards.procs, shards.world

        async def posted(n: int) -> bool:
            async with db.session() as s:
                return await pubs.status_counts(s) == {"posted": n}

        await wait_for(lambda: posted(12), timeout=60)
        # Both processes are up and polling: one leads, the other keeps trying.
        await wait_for(lambda: any(FOLLOWER_LINE in p.read_text() for p in logs), timeout=30)
        leaders = [i for i, p in enumerate(logs) if LEADER_LINE in p.read_text()]
        assert len(leaders) == 1, leaders
        leader = leaders[0]
        assert leader == shards.first
        follower = 1 - leader
        assert FOLLOWER_LINE not in logs[leader].read_text()

        procs[leader].send_signal(signal.SIGKILL)
        assert await asyncio.wait_for(procs[leader].wait(), 20) == -signal.SIGKILL
        before = len(logs[follower].read_text().splitlines())
        shards.feeds.set("scale.atom", issue_57())

        await wait_for(lambda: LEADER_LINE in logs[follower].read_text(), timeout=30)
        after_kill = logs[follower].read_text().splitlines()[before:]
        taken_at = next(i for i, line in enumerate(after_kill) if LEADER_LINE in line)
        # Within one poll interval: at most the one attempt already under way when the leader
        # died was refused; the next one took the lock.
        refused = [line for line in after_kill[:taken_at] if FOLLOWER_LINE in line]
        assert len(refused) <= 1, refused

        await wait_for(lambda: posted(24), timeout=60)
        threads = world.threads_in(shards.demo.forum_channel_id)
        assert len(threads) == 24
        assert len({t["name"] for t in threads}) == 24  # no post twice
        creates = [c for c in shards.server.log.find("POST", r"/threads(\?|$)") if c.status < 300]
        assert len(creates) == 24
    for log in logs:
        assert shards.server.token not in log.read_text(errors="replace")

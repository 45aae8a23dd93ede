"""Two bots on one PostgreSQL database: only the leader polls and publishes; when its database
session dies (the process's death, as PostgreSQL sees it) the other takes over."""

from __future__ import annotations

import contextlib
import random
from pathlib import Path

import pytest
import sqlalchemy as sa

from sandbox.demo import build_demo_world
from sandbox.server import SandboxServer
from storage import publications as pubs
from storage.db import Database
from tests.bot.conftest import BotEnv, make_bot_env
from tests.bot.publish.test_publisher import thread_creates

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

AN_ATOM = (Path(__file__).resolve().parents[2] / "data" / "feeds" / "an.atom").read_text()
HARK_PHRASE = "This paper focuses on the negative effects of Hypothesizing"


async def _posted(env: BotEnv, n: int) -> bool:
    async with env.db.session() as s:
        return await pubs.status_counts(s) == {"posted": n}


async def _terminate_lock_holder(db: Database, key: int) -> int:
    """pg_terminate_backend on the session holding the advisory lock: what a crash does."""
    async with db.connect() as conn:
        pid = await conn.scalar(
            sa.text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid = :hi AND objid = :lo AND objsubid = 1"
            ),
            {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF},
        )
        assert pid is not None, "nobody holds the leader lock"
        await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    return int(pid)


async def test_only_the_leader_publishes_and_the_other_takes_over(pg_db: Database) -> None:
    world, demo = build_demo_world()
    key = random.randrange(1, 2**62)
    async with SandboxServer(world) as server, contextlib.AsyncExitStack() as stack:
        common = {"server": server, "demo": demo, "leader_lock_key": key, "poll_interval": 0.5}
        first = await stack.enter_async_context(make_bot_env(pg_db, **common))
        feed_url = first.settings.feeds[0]
        second_cm = make_bot_env(pg_db, feeds=[feed_url], **common)
        second = await stack.enter_async_context(second_cm)
        await first.wait_for(lambda: _posted(first, 12), timeout=30)

        leaders = [e for e in (first, second) if e.bot.leader.is_leader]
        assert len(leaders) == 1
        leader = leaders[0]
        follower = second if leader is first else first
        assert thread_creates(first) == 12 and len(first.posts()) == 12
        # The follower has polled meanwhile, and never published.
        assert follower.bot.get_cog("FeedsCog").polls == 0  # type: ignore[union-attr]

        # The leader's database session dies; the leader process stops.
        await _terminate_lock_holder(pg_db, key)
        await leader.bot.close()
        corrected = AN_ATOM.replace(HARK_PHRASE, "TAKEN OVER: this paper focuses on")
        first.feeds.set("an.atom", corrected)

        hark = first.posts()[0]

        def edited() -> bool:
            return "TAKEN OVER" in world.message(int(hark["id"]))["content"]

        await first.wait_for(edited, timeout=30)
        assert follower.bot.leader.is_leader
        assert len(first.posts()) == 12 and thread_creates(first) == 12
        await first.wait_for(lambda: _posted(first, 12), timeout=30)

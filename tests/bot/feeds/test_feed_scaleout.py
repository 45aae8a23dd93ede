"""A feed added in one shard process is polled by the leader (the other process) within a poll
interval: two `anbot run` processes on one PostgreSQL, the feed added with `/an feed add` in the
guild of the process that does not lead."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import publications as pubs
from tests.bot.conftest import wait_for
from tests.bot.test_scaleout_processes import POLL, fresh_database, two_shards

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
__all__ = ["fresh_database"]  # the fixture, shared with the scale-out test


async def test_feed_added_in_a_follower_is_polled_by_the_leader(
    fresh_database: str, tmp_path: Path
) -> None:
    async with two_shards(fresh_database, tmp_path, "added.atom", subscribed=False) as shards:
        leader, follower = shards.first, 1 - shards.first
        logs, demo, db = shards.logs, shards.demo, shards.db
        # The follower is ready (its mirror caught up after READY) before the command.
        await wait_for(lambda: "caught up" in logs[follower].read_text(), timeout=30)
        url = shards.feeds.url("added.atom")
        result = await shards.server.act_as("mira").run_command(
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
        threads = shards.world.threads_in(demo.forum_channel_id)
        assert len({t["name"] for t in threads}) == len(threads) > 0  # each once

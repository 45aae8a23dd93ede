"""A comment's author is stored under the name members see — the server nickname — whether
the bot saw the comment live (gateway: the author is a Member) or caught it up after downtime
(REST: the author is a User without the nickname, as on Discord)."""

from __future__ import annotations

from sandbox.demo import build_demo_world
from sandbox.server import SandboxServer
from storage.db import Database
from tests.bot.conftest import make_bot_env
from tests.bot.mirror.test_mirror import EXTENSIONS, matches_truth, mirror, stored, tracked_post


async def test_live_and_caught_up_comments_store_the_same_nickname(sqlite_db: Database) -> None:
    world, demo = build_demo_world()
    world.guilds[demo.guild_id].members[demo.alice].nick = "Alice of AN"
    async with SandboxServer(world) as server:
        async with make_bot_env(
            sqlite_db, feed=None, extensions=EXTENSIONS, server=server, demo=demo
        ) as first:
            thread_id = await tracked_post(first)
            live = int((await server.act_as("alice").send(thread_id, "said live"))["id"])
            await first.wait_for(lambda: matches_truth(first, thread_id))
        offline = int((await server.act_as("alice").send(thread_id, "said offline"))["id"])
        calls_before = len(server.log)
        async with make_bot_env(
            sqlite_db, feed=None, extensions=EXTENSIONS, server=server, demo=demo
        ) as second:
            await second.wait_for(lambda: mirror(second).catchups >= 1, timeout=30)
            await second.wait_for(lambda: matches_truth(second, thread_id))
            records = await stored(second, thread_id)
            member_fetches = [
                call
                for call in server.log[calls_before:]
                if call.method == "GET"
                and call.path == f"/guilds/{demo.guild_id}/members/{demo.alice}"
            ]
    assert (records[live].author_name, records[offline].author_name) == (
        "Alice of AN",
        "Alice of AN",
    )
    assert len(member_fetches) == 1  # one lookup per author per catch-up, not one per message

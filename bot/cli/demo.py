"""`anbot sandbox`: the whole bot against the local Discord-compatible server, no account needed.

Steps: start the sandbox with the demo guild, serve the packaged AN feed on 127.0.0.1, run the
real AnBot (feeds → storage → forum posts → mirror), wait for the 12 posts of AN #56, replay
the issue page's forum comments as Discord replies in the HARK thread, wait until the mirror
stored them, and print the posts, the comment tree and a Markdown export of that thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any, TextIO, TypeVar

import aiohttp

from bot.app import AnBot
from bot.config import Settings
from bot.logging import setup_logging
from feeds.localserve import serve_feed_files
from feeds.markdown import split_message
from sandbox.demo import DemoGuild, build_demo_world
from sandbox.server import SandboxServer
from sandbox.testing import running_client
from storage.comments import records_for_thread
from storage.db import Database
from threads.export import export
from threads.model import CommentRecord, ThreadInfo
from threads.tree import build_tree, walk

T = TypeVar("T")
EXPECTED_POSTS = 12  # the summaries of AN #56


class DemoFailed(RuntimeError):
    """A step of the demo did not happen in time; the message says which."""


def data_file(name: str) -> bytes:
    """A file shipped in sandbox/data (package data: works after `pip install .`)."""
    return resources.files("sandbox").joinpath("data", name).read_bytes()


async def _until(what: str, check: Callable[[], Awaitable[T | None]], deadline: float) -> T:
    loop = asyncio.get_running_loop()
    while True:
        value = await check()
        if value:
            return value
        if loop.time() > deadline:
            raise DemoFailed(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def _database() -> AsyncIterator[Database]:
    url = os.environ.get("ANBOT_DATABASE_URL")
    with tempfile.TemporaryDirectory(prefix="anbot-sandbox-") as tmp:
        db = Database(url or f"sqlite+aiosqlite:///{Path(tmp) / 'anbot.db'}")
        try:
            await db.upgrade()
            yield db
        finally:
            await db.dispose()


def _settings(server: SandboxServer, demo: DemoGuild, db: Database, feed_url: str) -> Settings:
    values: dict[str, Any] = {
        "DISCORD_TOKEN": server.token,
        "database_url": db.url.render_as_string(hide_password=False),
        "feeds": [feed_url],
        "backfill": 1,  # publish the newest entry (AN #56) on the first poll
        "publish_channels": [f"{demo.forum_channel_id}:forum"],
        "publish_pace": 0.0,
        "poll_interval": 3600.0,
        "mod_log_channel_id": demo.mod_log_channel_id,
        "dev_guild_id": demo.guild_id,
        "discord_api_base": server.api_base,
        "discord_gateway_url": server.gateway_url,
        "allow_private_feeds": True,  # the demo's feed is served on 127.0.0.1
    }
    return Settings(_env_file=None, **values)


async def run_demo(*, seconds: float, keep_running: bool, out: TextIO) -> int:
    setup_logging("WARNING")
    world, demo = build_demo_world()
    seed = json.loads(data_file("seed_comments.json"))
    runner, feed_base = await serve_feed_files(
        {"/an.atom": (data_file("an.atom"), "application/atom+xml")}
    )
    try:
        async with SandboxServer(world) as server, _database() as db:
            settings = _settings(server, demo, db, f"{feed_base}/an.atom")
            async with aiohttp.ClientSession() as session:

                def factory() -> AnBot:
                    return AnBot(settings, db, session, guild_ready_timeout=0.2)

                async with running_client(server, factory, ready_timeout=seconds) as bot:
                    deadline = asyncio.get_running_loop().time() + seconds
                    try:
                        await _demo(server, demo, db, bot, seed, deadline, out)
                    except DemoFailed as exc:
                        print(f"sandbox demo failed: {exc}", file=out)
                        return 1
                    if keep_running:
                        print(
                            f"\nSandbox API at {server.api_base}; bot running. Ctrl-C to stop.",
                            file=out,
                        )
                        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
    return 0


async def _demo(
    server: SandboxServer,
    demo: DemoGuild,
    db: Database,
    bot: AnBot,
    seed: dict[str, Any],
    deadline: float,
    out: TextIO,
) -> None:
    world = server.world

    async def posts() -> list[dict[str, Any]] | None:
        threads = world.threads_in(demo.forum_channel_id)
        return threads if len(threads) >= EXPECTED_POSTS else None

    found = await _until("the 12 forum posts", posts, deadline)
    threads = sorted(found, key=lambda t: int(t["id"]))
    print(f"Threads created in #newsletter ({len(threads)}):", file=out)
    for thread in threads:
        print(f"  - {thread['name']}", file=out)

    wanted = seed["thread_title_contains"]
    hark = next((t for t in threads if wanted in t["name"]), None)
    if hark is None:
        raise DemoFailed(f"no post titled like {wanted!r}")
    hark_id = int(hark["id"])

    # The page's commenters join the guild and reply, each reply referencing its parent.
    ids: dict[str, int] = {}
    users: dict[str, int] = {}
    for comment in seed["comments"]:
        author = comment["author"]
        if author not in users:
            user = world.add_user(author.lower().replace(" ", "_"), global_name=author)
            world.add_member(demo.guild_id, user.id)
            users[author] = user.id
        parent = ids.get(comment["parent"]) if comment["parent"] else None
        # Members may post 2,000 characters a message, so a longer comment goes out as the
        # reply plus its continuation (as people do on Discord).
        first, *rest = split_message(comment["text"])
        sent = await server.actor(users[author]).send(hark_id, first, reply_to=parent)
        ids[comment["key"]] = int(sent["id"])
        for more in rest:
            await server.actor(users[author]).send(hark_id, more, reply_to=int(sent["id"]))

    async def mirrored() -> list[CommentRecord] | None:
        async with db.session() as session:
            records = await records_for_thread(session, hark_id)
        stored = {r.id for r in records}
        return records if set(ids.values()) <= stored else None

    records = await _until("the mirror to store the replies", mirrored, deadline)
    print(f"\nComment tree of {hark['name']!r} ({len(ids)} replies):", file=out)
    for node in walk(build_tree(records)):
        who = node.record.author_name or "[deleted]"
        first_line = (node.record.content or "").split("\n", 1)[0]
        text = first_line[:70] + ("…" if len(first_line) > 70 else "")
        print(f"  {'  ' * node.depth}- {who}: {text}", file=out)

    info = ThreadInfo(
        id=hark_id,
        title=hark["name"],
        url=f"https://discord.com/channels/{demo.guild_id}/{hark_id}",
        guild_id=demo.guild_id,
        channel_id=demo.forum_channel_id,
    )
    print("\nMarkdown export of that thread:\n", file=out)
    for chunk in export("markdown", info, records):
        out.write(chunk)
    out.write("\n")

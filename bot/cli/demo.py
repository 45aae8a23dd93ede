"""`anbot sandbox`: the whole bot against the local Discord-compatible server, no account needed.

Steps: start the sandbox with the demo guild, serve the packaged AN feed on 127.0.0.1, run the
real AnBot (feeds → storage → forum posts → mirror), wait for the 12 posts of AN #56, replay
the issue page's forum comments as Discord replies, each in the thread of the summary it
discusses, wait until the mirror stored them, print the posts and each thread's comment tree,
write Markdown and HTML exports of the HARK thread to files, and end with what happened and what
to try next.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
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


async def run_demo(
    *, seconds: float, keep_running: bool, out: TextIO, export_dir: Path | None = None
) -> int:
    setup_logging("WARNING")
    world, demo = build_demo_world()
    seed = json.loads(data_file("seed_comments.json"))
    runner, feed_base = await serve_feed_files(
        {"/an.atom": (data_file("an.atom"), "application/atom+xml")}
    )
    where = export_dir or Path(tempfile.gettempdir()) / "anbot-sandbox"
    try:
        async with SandboxServer(world) as server, _database() as db:
            settings = _settings(server, demo, db, f"{feed_base}/an.atom")
            async with aiohttp.ClientSession() as session:

                def factory() -> AnBot:
                    return AnBot(settings, db, session, guild_ready_timeout=0.2)

                async with running_client(server, factory, ready_timeout=seconds) as bot:
                    deadline = asyncio.get_running_loop().time() + seconds
                    try:
                        report = await _demo(server, demo, db, bot, seed, deadline, out)
                        files = await _write_exports(db, report, where)
                    except DemoFailed as exc:
                        print(f"sandbox demo failed: {exc}", file=out)
                        return 1
                    except OSError as exc:
                        print(f"sandbox demo: cannot write the export to {where}: {exc}", file=out)
                        return 1
                    _closing(report, files, server, keep_running, out)
                    if keep_running:
                        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
    return 0


@dataclass
class DemoReport:
    threads: list[dict[str, Any]]  # the forum posts, oldest first
    mirrored: dict[int, list[CommentRecord]]  # thread id → its stored comments
    replies: dict[int, int]  # thread id → seed comments sent there
    exported: dict[str, Any]  # the thread whose export is written


async def _demo(
    server: SandboxServer,
    demo: DemoGuild,
    db: Database,
    bot: AnBot,
    seed: dict[str, Any],
    deadline: float,
    out: TextIO,
) -> DemoReport:
    world = server.world

    async def posts() -> list[dict[str, Any]] | None:
        threads = world.threads_in(demo.forum_channel_id)
        return threads if len(threads) >= EXPECTED_POSTS else None

    found = await _until("the 12 forum posts", posts, deadline)
    threads = sorted(found, key=lambda t: int(t["id"]))
    print(f"Threads created in #newsletter ({len(threads)}):", file=out)
    for thread in threads:
        print(f"  - {thread['name']}", file=out)

    def thread_named(part: str) -> int:
        match = next((t for t in threads if part in t["name"]), None)
        if match is None:
            raise DemoFailed(f"no post titled like {part!r}")
        return int(match["id"])

    # The page's commenters join the guild and reply, each top-level comment in the thread of
    # the summary it discusses, each reply referencing its parent in the parent's thread.
    ids: dict[str, int] = {}
    home: dict[str, int] = {}
    users: dict[str, int] = {}
    replies: dict[int, int] = {}
    for comment in seed["comments"]:
        author = comment["author"]
        if author not in users:
            user = world.add_user(author.lower().replace(" ", "_"), global_name=author)
            world.add_member(demo.guild_id, user.id)
            users[author] = user.id
        parent = comment["parent"]
        thread_id = home[parent] if parent else thread_named(comment["thread"])
        reply_to = ids[parent] if parent else None
        actor = server.actor(users[author])
        # Members may post 2,000 characters a message, so a longer comment goes out as the
        # reply plus its continuation (as people do on Discord).
        first, *rest = split_message(comment["text"])
        sent = await actor.send(thread_id, first, reply_to=reply_to)
        ids[comment["key"]], home[comment["key"]] = int(sent["id"]), thread_id
        for more in rest:
            await actor.send(thread_id, more, reply_to=int(sent["id"]))
        replies[thread_id] = replies.get(thread_id, 0) + 1  # comments, not the messages they took

    async def mirrored() -> dict[int, list[CommentRecord]] | None:
        stored: dict[int, list[CommentRecord]] = {}
        async with db.session() as session:
            for thread_id in replies:
                stored[thread_id] = await records_for_thread(session, thread_id)
        seen = {r.id for records in stored.values() for r in records}
        return stored if set(ids.values()) <= seen else None

    stored = await _until("the mirror to store the replies", mirrored, deadline)
    for thread_id, records in stored.items():
        name = next(t["name"] for t in threads if int(t["id"]) == thread_id)
        print(f"\nComments in {name!r} ({replies[thread_id]}):", file=out)
        for node in walk(build_tree(r for r in records if not r.is_starter)):
            who = node.record.author_name or "[deleted]"
            first_line = (node.record.content or "").split("\n", 1)[0]
            text = first_line[:70] + ("…" if len(first_line) > 70 else "")
            print(f"  {'  ' * node.depth}- {who}: {text}", file=out)
    exported = next(
        t for t in threads if int(t["id"]) == thread_named(seed["thread_title_contains"])
    )
    return DemoReport(threads, stored, replies, exported | {"guild_id": demo.guild_id})


async def _write_exports(db: Database, report: DemoReport, where: Path) -> list[Path]:
    """The exported thread as Markdown and HTML files (written whole, then renamed)."""
    thread = report.exported
    thread_id = int(thread["id"])
    async with db.session() as session:
        records = await records_for_thread(session, thread_id)
    info = ThreadInfo(
        id=thread_id,
        title=thread["name"],
        url=f"https://discord.com/channels/{thread['guild_id']}/{thread_id}",
        guild_id=thread["guild_id"],
        channel_id=int(thread["parent_id"]),
    )
    return await asyncio.to_thread(_write_files, where, info, records)


def _write_files(where: Path, info: ThreadInfo, records: list[CommentRecord]) -> list[Path]:
    where.mkdir(parents=True, exist_ok=True)
    files = []
    thread_id = info.id
    for fmt, suffix in (("markdown", "md"), ("html", "html")):
        path = where / f"thread-{thread_id}.{suffix}"
        partial = path.with_suffix(path.suffix + ".part")
        with partial.open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(export(fmt, info, records))  # type: ignore[arg-type]
        partial.replace(path)
        files.append(path)
    return files


def _closing(
    report: DemoReport, files: list[Path], server: SandboxServer, keep_running: bool, out: TextIO
) -> None:
    comments = sum(report.replies.values())
    spread = ", ".join(
        f"{count} in {next(t['name'] for t in report.threads if int(t['id']) == tid)!r}"
        for tid, count in report.replies.items()
    )
    lines = [
        "",
        "What happened:",
        f"  - the bot read the AN feed and opened {len(report.threads)} forum threads, "
        "one per summary of AN #56;",
        f"  - {comments} forum comments were replayed as replies ({spread}) "
        "and the bot mirrored every one into its comment tree;",
        f"  - the {report.exported['name']!r} thread is exported to:",
        *(f"      {path}" for path in files),
        "",
        "What next:",
    ]
    if keep_running:
        lines += [
            f"  - the sandbox keeps running: Discord API at {server.api_base}, gateway at "
            f"{server.gateway_url}. Point a discord.py client or HTTP requests at it "
            "(the bot answers /an commands there). Ctrl-C stops it.",
        ]
    else:
        lines += [
            "  - keep the sandbox and the bot running to drive them yourself: "
            "anbot sandbox --keep-running (prints the API and gateway URLs; Ctrl-C stops)",
        ]
    lines += [
        "  - run on real Discord: put the bot token in DISCORD_TOKEN, set ANBOT_FEEDS and "
        'ANBOT_PUBLISH_CHANNELS, then `anbot run` (README, "Running on Discord")',
    ]
    print("\n".join(lines), file=out)

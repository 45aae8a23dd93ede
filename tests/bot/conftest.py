"""The bot under test: a real AnBot (discord.py) connected in-process to the sandbox server.

`bot_env` yields a BotEnv with the sandbox (demo guild), a migrated SQLite database, a local
feed server (tests/data/feeds/*, bodies replaceable per test) and the bot publishing to the
demo forum. `make_bot_env(...)` builds variants: other publish channels, no feeds, another
database (PostgreSQL), other settings, only some extensions.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from aiohttp import web

from bot.app import DEFAULT_EXTENSIONS, AnBot
from bot.config import Settings
from feeds.fetch import feed_session
from feeds.localserve import serve_app
from sandbox.demo import DemoGuild, build_demo_world
from sandbox.server import SandboxServer
from sandbox.testing import running_client
from storage.db import Database

FEEDS_DIR = Path(__file__).resolve().parents[1] / "data" / "feeds"
T = TypeVar("T")

_CONTENT_TYPES = {".atom": "application/atom+xml", ".rss": "application/rss+xml"}


class FeedFiles:
    """A feed server on 127.0.0.1 whose bodies tests may replace (an updated entry)."""

    def __init__(self) -> None:
        self.bodies: dict[str, tuple[bytes, str]] = {}
        self.hits: dict[str, int] = {}
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    def set(self, path: str, body: bytes | str, content_type: str = "application/atom+xml") -> str:
        data = body.encode() if isinstance(body, str) else body
        self.bodies["/" + path.lstrip("/")] = (data, content_type)
        return self.url(path)

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        found = self.bodies.get(request.path)
        if found is None:
            return web.Response(status=404, text="no such feed")
        self.hits[request.path] = self.hits.get(request.path, 0) + 1
        body, content_type = found
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(body=body, headers={"Content-Type": content_type, "ETag": etag})

    async def start(self) -> None:
        for path in sorted(FEEDS_DIR.iterdir()):
            kind = _CONTENT_TYPES.get(path.suffix)
            if kind:
                self.set(path.name, path.read_bytes(), kind)
        app = web.Application()
        app.router.add_get("/{name:.*}", self._handle)
        self._runner, self.base_url = await serve_app(app)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


async def wait_for(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = 10,  # noqa: ASYNC109 - the contract's signature; asyncio.timeout inside
    interval: float = 0.02,
) -> T:
    """Until `predicate()` (sync or async) is truthy; returns it. Fails with the last value."""
    last: Any = None
    async with asyncio.timeout(timeout):
        while True:
            value = predicate()
            last = await value if asyncio.iscoroutine(value) else value
            if last:
                return last  # type: ignore[no-any-return]
            await asyncio.sleep(interval)
    raise AssertionError(f"condition not met, last value {last!r}")  # pragma: no cover


@dataclass
class BotEnv:
    server: SandboxServer
    demo: DemoGuild
    db: Database
    bot: AnBot
    feed_base_url: str
    settings: Settings
    feeds: FeedFiles = field(repr=False, default_factory=FeedFiles)

    async def wait_for(
        self,
        predicate: Callable[[], T | Awaitable[T]],
        timeout: float = 10,  # noqa: ASYNC109
    ) -> T:
        return await wait_for(predicate, timeout)

    def posts(self, channel_id: int | None = None) -> list[dict[str, Any]]:
        """Threads in the channel (the demo forum by default), oldest first."""
        parent = channel_id or self.demo.forum_channel_id
        return sorted(self.server.world.threads_in(parent), key=lambda t: int(t["id"]))

    async def publish(self, timeout: float = 20) -> None:  # noqa: ASYNC109
        """Wake the publisher and wait for a whole cycle that started after now."""
        cog: Any = self.bot.get_cog("PublisherCog")
        target = cog.started + 1
        self.bot.publish_wanted.set()
        await self.wait_for(lambda: cog.finished >= target, timeout)

    async def poll(self, timeout: float = 20) -> None:  # noqa: ASYNC109
        """Poll every feed once now, then publish."""
        feeds_cog: Any = self.bot.get_cog("FeedsCog")
        await feeds_cog.poll()
        await self.publish(timeout)


def bot_settings(server: SandboxServer, demo: DemoGuild, db_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "DISCORD_TOKEN": server.token,
        "database_url": db_url,
        "feeds": [],
        "publish_channels": [f"{demo.forum_channel_id}:forum"],
        "poll_interval": 3600.0,  # tests poll explicitly (env.poll) after the first poll
        "publish_pace": 0.0,
        "backfill": 1,
        "mod_log_channel_id": demo.mod_log_channel_id,
        "ping_role_id": None,
        "dev_guild_id": demo.guild_id,
        "leader_lock_key": random.randrange(1, 2**62),  # tests in parallel never share it
        "discord_api_base": server.api_base,
        "discord_gateway_url": server.gateway_url,
        "log_level": "INFO",
        "allow_private_feeds": True,  # the test feeds are served on 127.0.0.1
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@contextlib.asynccontextmanager
async def make_bot_env(
    db: Database,
    *,
    feed: str | None = "an.atom",
    extensions: Sequence[str] | None = None,
    server: SandboxServer | None = None,
    demo: DemoGuild | None = None,
    forum_tags: tuple[str, ...] = ("Announcements",),
    prepare: Callable[[SandboxServer, DemoGuild, FeedFiles], None] | None = None,
    **settings_overrides: Any,
) -> AsyncIterator[BotEnv]:
    """A connected bot; `prepare` runs before the bot starts (permissions, feed bodies)."""
    own_server = server is None
    if server is None or demo is None:
        world, demo = build_demo_world(forum_tags=forum_tags)
        server = SandboxServer(world)
    feeds = FeedFiles()
    await feeds.start()
    if own_server:
        await server.start()
    try:
        if feed is not None:
            settings_overrides.setdefault("feeds", [feeds.url(feed)])
        settings = bot_settings(
            server, demo, db.url.render_as_string(hide_password=False), **settings_overrides
        )
        if prepare is not None:
            prepare(server, demo, feeds)
        # Exactly these: a missing extension fails AnBot.setup_hook (and so the test).
        names = tuple(extensions or DEFAULT_EXTENSIONS)
        # As run_bot does: a session that refuses private addresses unless the settings allow
        # them (the fixtures set allow_private_feeds explicitly).
        async with feed_session(allow_private=settings.allow_private_feeds) as session:

            def factory() -> AnBot:
                return AnBot(settings, db, session, extensions=names, guild_ready_timeout=0.2)

            async with running_client(server, factory, ready_timeout=20) as bot:
                yield BotEnv(server, demo, db, bot, feeds.base_url, settings, feeds)
    finally:
        await feeds.stop()
        if own_server:
            await server.stop()


@pytest.fixture
async def bot_env(sqlite_db: Database) -> AsyncIterator[BotEnv]:
    """The bot on SQLite, publishing the AN feed (tests/data/feeds/an.atom) to the forum."""
    async with make_bot_env(sqlite_db) as env:
        yield env

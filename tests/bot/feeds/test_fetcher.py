"""Settings.feed_fetcher: the FeedFetcher the cog and `anbot ingest` build keeps the configured
limits (against a real HTTP server on 127.0.0.1; no Discord)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from bot.config import Settings
from feeds.fetch import FetchError
from feeds.localserve import serve_app

BODY = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, asyncio.Event]]:
    release = asyncio.Event()

    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=BODY, content_type="application/rss+xml")

    async def slow(request: web.Request) -> web.Response:
        await release.wait()  # answers only after the client has given up
        return web.Response(body=BODY, content_type="application/rss+xml")

    app = web.Application()
    app.router.add_get("/feed", feed)
    app.router.add_get("/slow", slow)
    runner, base = await serve_app(app)
    try:
        yield base, release
    finally:
        release.set()
        await runner.cleanup()


def settings(**values: Any) -> Settings:
    # The server is on 127.0.0.1: allowed explicitly, as the bot fixtures do.
    values.setdefault("allow_private_feeds", True)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


async def test_defaults_fetch_a_feed(server: tuple[str, asyncio.Event]) -> None:
    base, _ = server
    async with aiohttp.ClientSession() as session:
        result = await settings().feed_fetcher(session).fetch(f"{base}/feed")
    assert result.status == "ok" and result.body == BODY


async def test_size_cap_comes_from_settings(server: tuple[str, asyncio.Event]) -> None:
    base, _ = server
    async with aiohttp.ClientSession() as session:
        fetcher = settings(fetch_max_bytes=len(BODY) - 1).feed_fetcher(session)
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(f"{base}/feed")
    assert str(caught.value) == f"body larger than {len(BODY) - 1:,} bytes from {base}/feed"


async def test_timeout_comes_from_settings(server: tuple[str, asyncio.Event]) -> None:
    base, release = server
    async with aiohttp.ClientSession() as session:
        fetcher = settings(fetch_timeout=0.2).feed_fetcher(session)
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(f"{base}/slow")
        release.set()
    assert str(caught.value) == f"timed out after 0.2s fetching {base}/slow"
    assert not caught.value.permanent

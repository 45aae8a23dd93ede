"""Broken feeds through the real bot's feed loop: a local aiohttp server answers 503, never
answers in time, trickles a body a few bytes at a time (slow-loris), sends an oversize body
and loops redirects. Each Feed row gets a clear last_error, polls of a failing feed back off
(growing gaps; longer for a redirect loop, which looks permanent), and after
`feed_max_failures` straight failures the feed is disabled with its reason. The bot keeps
running and a healthy feed still publishes, before and after."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from feeds.fetch import FeedFetcher
from feeds.localserve import serve_app
from storage.db import Database
from storage.feeds import list_feeds
from storage.ingest import poll_feed
from storage.models import Feed
from tests.bot.conftest import make_bot_env, wait_for
from tests.reliability.feedgen import generic_rss

pytestmark = pytest.mark.slow

FETCH_TIMEOUT = 0.5
MAX_BYTES = 50_000
MAX_FAILURES = 5
BACKOFF_BASE = 0.2
TRICKLE_SECONDS = 30.0  # how long the slow-loris body would take to arrive in full


@dataclass
class FaultyFeeds:
    """A feed server on 127.0.0.1 with one route per fault and one healthy feed."""

    good: str = generic_rss([("g1", "First healthy item", "ok"), ("g2", "Second", "ok")])
    hits: dict[str, list[float]] = field(default_factory=dict)
    trickle_ended: list[float] = field(default_factory=list)
    base_url: str = ""
    _runner: web.AppRunner | None = None

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits.setdefault(name, []).append(time.monotonic())
        if name == "good.rss":
            return web.Response(text=self.good, content_type="application/rss+xml")
        if name == "unavailable.atom":
            return web.Response(status=503, text="upstream down")
        if name == "silent.atom":
            await asyncio.sleep(FETCH_TIMEOUT * 20)
            return web.Response(text="too late")
        if name in ("loop-a.atom", "loop-b.atom"):
            other = "loop-b.atom" if name == "loop-a.atom" else "loop-a.atom"
            raise web.HTTPFound(f"/{other}")
        response = web.StreamResponse(headers={"Content-Type": "application/atom+xml"})
        await response.prepare(request)
        if name == "huge.atom":  # chunked: no Content-Length to refuse up front
            await response.write(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">')
            for _ in range(20):
                await response.write(b"<!-- " + b"x" * 10_000 + b" -->")
            return response
        return await self._trickle(response)

    async def _trickle(self, response: web.StreamResponse) -> web.StreamResponse:
        started = time.monotonic()
        try:
            await response.write(b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom">')
            while time.monotonic() - started < TRICKLE_SECONDS:
                await response.write(b"<!-- -->")
                await asyncio.sleep(0.1)
            await response.write(b"</feed>")
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client hung up: what a fetch timeout should make it do
        finally:
            self.trickle_ended.append(time.monotonic() - started)
        return response

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/{name}", self.handle)
        self._runner, self.base_url = await serve_app(app)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@pytest.fixture
async def faulty() -> AsyncIterator[FaultyFeeds]:
    server = FaultyFeeds()
    await server.start()
    yield server
    await server.stop()


BAD = {
    "unavailable.atom": ("HTTP 503 from", f"{MAX_FAILURES} failures in a row"),
    "silent.atom": (f"timed out after {FETCH_TIMEOUT:g}s", f"{MAX_FAILURES} failures in a row"),
    "trickle.atom": (f"timed out after {FETCH_TIMEOUT:g}s", f"{MAX_FAILURES} failures in a row"),
    "huge.atom": (f"body larger than {MAX_BYTES:,} bytes", f"{MAX_FAILURES} failures in a row"),
    # Permanent-looking: counted like the others, with a longer backoff (issue 12).
    "loop-a.atom": ("redirect loop:", f"{MAX_FAILURES} failures in a row"),
}


async def _feeds(db: Database) -> dict[str, Feed]:
    async with db.session() as session:
        return {f.url.rsplit("/", 1)[1]: f for f in await list_feeds(session)}


async def test_broken_feeds_fail_clearly_back_off_and_get_disabled(
    sqlite_db: Database, faulty: FaultyFeeds
) -> None:
    urls = [faulty.url(n) for n in ("good.rss", *BAD)]
    async with make_bot_env(
        sqlite_db,
        feeds=urls,
        backfill=10,
        fetch_timeout=FETCH_TIMEOUT,
        fetch_max_bytes=MAX_BYTES,
        feed_max_failures=MAX_FAILURES,
        feed_backoff_base=BACKOFF_BASE,
    ) as env:
        await env.wait_for(lambda: len(env.posts()) == 2, timeout=20)
        feeds_cog: Any = env.bot.get_cog("FeedsCog")
        polls = 0

        async def all_disabled() -> bool:
            nonlocal polls
            rows = await _feeds(env.db)
            if all(rows[name].disabled for name in BAD):
                return True
            started = time.monotonic()
            await feeds_cog.poll()
            polls += 1
            # The fetch timeout bounds a poll, however slowly a server sends its body.
            assert time.monotonic() - started < TRICKLE_SECONDS
            return False

        await env.wait_for(all_disabled, timeout=45)
        rows = await _feeds(env.db)
        for name, (error, reason) in BAD.items():
            row = rows[name]
            assert row.last_error is not None and error in row.last_error, (name, row)
            assert row.disabled_reason is not None and row.disabled_reason.startswith(reason)
            assert error in row.disabled_reason
        assert rows["loop-a.atom"].consecutive_failures == MAX_FAILURES
        assert rows["loop-a.atom"].last_error_permanent
        assert rows["good.rss"].last_error is None and not rows["good.rss"].disabled

        # Backed-off polls skip the feed: never more fetches than polls (plus the first one).
        assert len(faulty.hits["unavailable.atom"]) == MAX_FAILURES <= polls + 1
        # The slow-loris server was hung up on long before its body was complete.
        assert faulty.trickle_ended and max(faulty.trickle_ended) < TRICKLE_SECONDS

        # Disabled feeds are not fetched again; the bot runs on and the healthy feed publishes.
        before = {name: len(faulty.hits.get(name, [])) for name in BAD}
        faulty.good = generic_rss(
            [("g1", "First healthy item", "ok"), ("g2", "Second", "ok"), ("g3", "Third", "new")]
        )
        await env.poll()
        assert not env.bot.is_closed()
        assert [p["name"] for p in env.posts()][-1] == "Third"
        assert {name: len(faulty.hits.get(name, [])) for name in BAD} == before
        print(f"bot loop: {polls} polls until 5 broken feeds were disabled")


async def test_backoff_between_fetches_of_a_failing_feed_grows(
    sqlite_db: Database, faulty: FaultyFeeds
) -> None:
    """poll_feed called every 10 ms: the failing feed is fetched only when its backoff allows,
    each wait at least half of base·2^(k-1) after k failures, the last far longer than the
    first; then it is disabled and never fetched again."""
    base, failures = 0.1, 6
    url = faulty.url("unavailable.atom")
    polls = 0
    async with aiohttp.ClientSession() as session:
        fetcher = FeedFetcher(session, allow_private=True, timeout=FETCH_TIMEOUT)

        async def disabled() -> bool:
            nonlocal polls
            polls += 1
            report = await poll_feed(
                sqlite_db, fetcher, url, backfill=0, max_failures=failures, backoff_base=base
            )
            assert report.error is None or "HTTP 503 from" in report.error
            return report.disabled

        await wait_for(disabled, timeout=20, interval=0.01)
        for _ in range(5):
            assert (await disabled()) is True
    hits = faulty.hits["unavailable.atom"]
    assert len(hits) == failures and polls > 10 * failures
    gaps = [b - a for a, b in itertools.pairwise(hits)]
    for k, gap in enumerate(gaps, start=1):
        assert gap >= base * 2 ** (k - 1) / 2, gaps
    assert gaps[-1] >= 2 * gaps[0], gaps
    async with sqlite_db.session() as session:
        row = (await _feeds_in(session))["unavailable.atom"]
    assert row.consecutive_failures == failures and row.disabled
    assert row.disabled_reason == f"{failures} failures in a row: HTTP 503 from {url}"
    print(f"{polls} polls, {failures} fetches, gaps {[round(g, 3) for g in gaps]}")


async def _feeds_in(session: Any) -> dict[str, Feed]:
    return {f.url.rsplit("/", 1)[1]: f for f in await list_feeds(session)}

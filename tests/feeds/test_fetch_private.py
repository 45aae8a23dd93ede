"""Feeds may not reach loopback or private addresses unless allowed (issue 12, security).

A "public" feed host is simulated by a server on 127.0.0.2 that the policy under test counts as
public; the internal service listens on 127.0.0.1. Every hop is checked: a redirect to the
internal service by IP literal or by a host name that resolves to it is refused before any
request reaches it. The default policy refuses 127.0.0.1 itself, and a session that cannot
check addresses is refused unless private addresses are allowed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from feeds.fetch import (
    FeedFetcher,
    FetchError,
    PublicOnlyResolver,
    feed_session,
    is_public_address,
)
from feeds.localserve import serve_app
from tests.reliability.feedgen import generic_rss

FEED = generic_rss([("a", "Public entry", "fine")]).encode()


@dataclass
class Hosts:
    public: str = ""
    internal: str = ""
    internal_hits: list[str] = field(default_factory=list)


@pytest.fixture
async def hosts() -> AsyncIterator[Hosts]:
    state = Hosts()

    async def internal(request: web.Request) -> web.Response:
        state.internal_hits.append(request.path)
        return web.Response(body=FEED, content_type="application/rss+xml")

    async def public(request: web.Request) -> web.Response:
        target = request.query.get("to")
        if target:
            return web.Response(status=302, headers={"Location": target})
        return web.Response(body=FEED, content_type="application/rss+xml")

    inside, outside = web.Application(), web.Application()
    inside.router.add_get("/{tail:.*}", internal)
    outside.router.add_get("/{tail:.*}", public)
    runner_in, state.internal = await serve_app(inside, host="127.0.0.1")
    runner_out, state.public = await serve_app(outside, host="127.0.0.2")
    try:
        yield state
    finally:
        await runner_in.cleanup()
        await runner_out.cleanup()


def _policy(address: str) -> bool:
    """127.0.0.2 stands for a public host in these tests; everything else as in production."""
    return address == "127.0.0.2" or is_public_address(address)


@pytest.fixture
async def guarded() -> AsyncIterator[FeedFetcher]:
    connector = aiohttp.TCPConnector(resolver=PublicOnlyResolver(allowed=_policy))
    async with aiohttp.ClientSession(connector=connector) as session:
        yield FeedFetcher(session, timeout=5)


async def test_public_feed_is_fetched(hosts: Hosts, guarded: FeedFetcher) -> None:
    result = await guarded.fetch(f"{hosts.public}/feed")
    assert result.status == "ok" and result.body == FEED


@pytest.mark.parametrize("how", ["ip literal", "host name", "ipv4-mapped ipv6"])
async def test_redirect_to_an_internal_address_is_refused(
    hosts: Hosts, guarded: FeedFetcher, how: str
) -> None:
    port = hosts.internal.rsplit(":", 1)[1]
    target = {
        "ip literal": f"http://127.0.0.1:{port}/internal",
        "host name": f"http://localhost:{port}/internal",
        "ipv4-mapped ipv6": f"http://[::ffff:127.0.0.1]:{port}/internal",
    }[how]
    with pytest.raises(FetchError) as caught:
        await guarded.fetch(f"{hosts.public}/feed?to={target}")
    assert "not a public address" in caught.value.message
    assert caught.value.permanent
    assert hosts.internal_hits == []  # the internal service never saw a request


async def test_default_policy_refuses_loopback_first_hop(hosts: Hosts) -> None:
    async with feed_session(allow_private=False) as session:
        fetcher = FeedFetcher(session, timeout=5)
        for url in (f"{hosts.internal}/feed", hosts.internal.replace("127.0.0.1", "localhost")):
            with pytest.raises(FetchError, match="not a public address"):
                await fetcher.fetch(url)
    assert hosts.internal_hits == []


async def test_allowed_when_configured(hosts: Hosts) -> None:
    async with feed_session(allow_private=True) as session:
        result = await FeedFetcher(session, allow_private=True).fetch(f"{hosts.internal}/x")
    assert result.status == "ok" and hosts.internal_hits == ["/x"]


async def test_a_session_that_cannot_check_addresses_is_refused() -> None:
    async with aiohttp.ClientSession() as session:
        with pytest.raises(ValueError, match="feed_session"):
            FeedFetcher(session)

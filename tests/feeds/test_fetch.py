"""FeedFetcher against a real aiohttp server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import socket

import pytest
from aiohttp import ClientSession, web

from feeds.fetch import FeedFetcher, FetchError, backoff_delay, should_disable
from feeds.issue import parse_issue
from feeds.parse import parse_feed
from tests.feeds.conftest import FEED_DATA, FeedServer


@pytest.mark.parametrize(
    ("name", "content_type"),
    [("an.atom", "application/atom+xml"), ("an.rss", "application/rss+xml; charset=utf-8")],
)
async def test_fetch_and_parse_an_feeds(
    feed_server: FeedServer, http_session: ClientSession, name: str, content_type: str
) -> None:
    url = feed_server.add_file("/feed", name, content_type)
    result = await FeedFetcher(http_session, allow_private=True).fetch(url)
    assert result.status == "ok" and result.body is not None
    assert result.content_hash == hashlib.sha256(result.body).hexdigest()
    assert result.content_type == content_type
    parsed = await parse_feed(result.body, url=result.url, content_type=result.content_type)
    assert parsed.warning is None
    assert [i.title[:8] for i in parsed.items] == ["[AN #56]", "[AN #55]"]
    issue = parse_issue(parsed.items[0])
    assert (issue.layout, issue.label, len(issue.summaries)) == ("an", "AN #56", 12)
    _, headers = feed_server.requests[0]
    assert headers["User-Agent"] == "anbot/0.1 (+feed reader)"


async def test_etag_conditional_get(feed_server: FeedServer, http_session: ClientSession) -> None:
    body = (FEED_DATA / "an.atom").read_bytes()

    async def handle(request: web.Request) -> web.Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return web.Response(status=304, headers={"ETag": '"v1"'})
        return web.Response(body=body, headers={"ETag": '"v1"'})

    url = feed_server.add("/feed", handle)
    fetcher = FeedFetcher(http_session, allow_private=True)
    first = await fetcher.fetch(url)
    assert (first.status, first.etag) == ("ok", '"v1"')
    second = await fetcher.fetch(url, etag=first.etag)
    assert (second.status, second.body, second.etag) == ("not_modified", None, '"v1"')


async def test_last_modified_conditional_get(
    feed_server: FeedServer, http_session: ClientSession
) -> None:
    stamp = "Mon, 13 May 2019 16:00:00 GMT"

    async def handle(request: web.Request) -> web.Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return web.Response(status=304)
        return web.Response(text="<rss version='2.0'/>", headers={"Last-Modified": stamp})

    url = feed_server.add("/feed", handle)
    fetcher = FeedFetcher(http_session, allow_private=True)
    first = await fetcher.fetch(url)
    assert (first.status, first.last_modified) == ("ok", stamp)
    second = await fetcher.fetch(url, last_modified=first.last_modified)
    assert second.status == "not_modified"
    assert "If-None-Match" not in feed_server.requests[1][1]


async def test_unchanged_body_hash(feed_server: FeedServer, http_session: ClientSession) -> None:
    url = feed_server.add_file("/feed", "an.rss", "application/rss+xml")
    fetcher = FeedFetcher(http_session, allow_private=True)
    first = await fetcher.fetch(url)
    again = await fetcher.fetch(url, previous_hash=first.content_hash)
    assert (again.status, again.body, again.content_hash) == (
        "unchanged",
        None,
        first.content_hash,
    )
    changed = await fetcher.fetch(url, previous_hash="0" * 64)
    assert changed.status == "ok"


async def test_html_page_instead_of_feed(
    feed_server: FeedServer, http_session: ClientSession
) -> None:
    url = feed_server.add_bytes(
        "/blog", b"<!DOCTYPE html><html><body>Blog</body></html>", "text/html; charset=utf-8"
    )
    with pytest.raises(FetchError) as caught:
        await FeedFetcher(http_session, allow_private=True).fetch(url)
    assert str(caught.value) == f"not a feed: got text/html page from {url}"
    assert caught.value.permanent


async def test_feed_served_as_text_html_is_accepted(
    feed_server: FeedServer, http_session: ClientSession
) -> None:
    url = feed_server.add_file("/feed", "generic.rss", "text/html")
    result = await FeedFetcher(http_session, allow_private=True).fetch(url)
    assert result.status == "ok"


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (503, False), (404, True),
                                                    (410, True), (429, False)])  # fmt: skip
async def test_http_errors(
    feed_server: FeedServer, http_session: ClientSession, status: int, permanent: bool
) -> None:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(status=status, text="nope")

    url = feed_server.add("/feed", handle)
    with pytest.raises(FetchError) as caught:
        await FeedFetcher(http_session, allow_private=True).fetch(url)
    assert str(caught.value) == f"HTTP {status} from {url}"
    assert (caught.value.status, caught.value.permanent) == (status, permanent)


async def test_timeout(feed_server: FeedServer, http_session: ClientSession) -> None:
    release = asyncio.Event()

    async def slow(request: web.Request) -> web.Response:
        await release.wait()  # answers only after the client has given up
        return web.Response(text="<rss/>")

    url = feed_server.add("/slow", slow)
    try:
        with pytest.raises(FetchError) as caught:
            await FeedFetcher(http_session, allow_private=True, timeout=0.2).fetch(url)
    finally:
        release.set()
    assert str(caught.value) == f"timed out after 0.2s fetching {url}"
    assert not caught.value.permanent


async def test_huge_streamed_body_is_cut_off(
    feed_server: FeedServer, http_session: ClientSession
) -> None:
    sent = 0

    async def huge(request: web.Request) -> web.StreamResponse:
        nonlocal sent
        resp = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await resp.prepare(request)
        chunk = b"<!-- padding -->" * 4096
        try:
            for _ in range(400):  # 26 MB if nobody stops reading
                await resp.write(chunk)
                sent += len(chunk)
        except (ConnectionResetError, ConnectionError):
            pass  # the client hung up at its cap, as it should
        return resp

    url = feed_server.add("/huge", huge)
    with pytest.raises(FetchError) as caught:
        await FeedFetcher(http_session, allow_private=True, max_bytes=1_000_000).fetch(url)
    assert str(caught.value) == f"body larger than 1,000,000 bytes from {url}"
    assert sent < 400 * 16 * 4096


async def test_declared_huge_body_is_refused(
    feed_server: FeedServer, http_session: ClientSession
) -> None:
    url = feed_server.add_bytes("/big", b"x" * 6_000_000, "application/rss+xml")
    with pytest.raises(FetchError, match=r"^body larger than 5,000,000 bytes from "):
        await FeedFetcher(http_session, allow_private=True).fetch(url)


async def test_gzip_response(feed_server: FeedServer, http_session: ClientSession) -> None:
    plain = (FEED_DATA / "an.atom").read_bytes()

    async def handle(request: web.Request) -> web.Response:
        assert "gzip" in request.headers.get("Accept-Encoding", "")
        return web.Response(
            body=gzip.compress(plain),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/atom+xml"},
        )

    url = feed_server.add("/feed", handle)
    result = await FeedFetcher(http_session, allow_private=True).fetch(url)
    assert result.body == plain
    assert result.content_hash == hashlib.sha256(plain).hexdigest()


async def test_gzip_bomb_counts_decoded_bytes(
    feed_server: FeedServer, http_session: ClientSession
) -> None:
    packed = gzip.compress(b"\0" * 3_000_000)
    assert len(packed) < 100_000

    async def handle(request: web.Request) -> web.Response:
        return web.Response(body=packed, headers={"Content-Encoding": "gzip"})

    url = feed_server.add("/bomb", handle)
    with pytest.raises(FetchError, match=r"^body larger than 1,000,000 bytes"):
        await FeedFetcher(http_session, allow_private=True, max_bytes=1_000_000).fetch(url)


async def test_redirect_is_followed(feed_server: FeedServer, http_session: ClientSession) -> None:
    target = feed_server.add_file("/new/feed.xml", "an.rss", "application/rss+xml")

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently(location="/new/feed.xml")

    async def found(request: web.Request) -> web.Response:
        raise web.HTTPFound(location=feed_server.url("/moved"))

    feed_server.add("/moved", moved)
    url = feed_server.add("/start", found)
    result = await FeedFetcher(http_session, allow_private=True).fetch(url, etag='"e"')
    assert (result.status, result.url) == ("ok", target)
    assert [path for path, _ in feed_server.requests] == ["/start", "/moved", "/new/feed.xml"]


async def test_redirect_loop(feed_server: FeedServer, http_session: ClientSession) -> None:
    async def to_b(request: web.Request) -> web.Response:
        raise web.HTTPFound(location="/b")

    async def to_a(request: web.Request) -> web.Response:
        raise web.HTTPFound(location="/a")

    url = feed_server.add("/a", to_b)
    feed_server.add("/b", to_a)
    with pytest.raises(FetchError) as caught:
        await FeedFetcher(http_session, allow_private=True).fetch(url)
    assert str(caught.value) == f"redirect loop: {url} -> {feed_server.url('/b')} -> {url}"
    assert caught.value.permanent


async def test_too_many_redirects(feed_server: FeedServer, http_session: ClientSession) -> None:
    async def onward(request: web.Request) -> web.Response:
        raise web.HTTPFound(location=f"/r{int(request.path[2:]) + 1}")

    for i in range(10):
        feed_server.add(f"/r{i}", onward)
    with pytest.raises(FetchError) as caught:
        await FeedFetcher(http_session, allow_private=True, max_redirects=3).fetch(
            feed_server.url("/r0")
        )
    assert str(caught.value) == (
        f"too many redirects (more than 3) starting at {feed_server.url('/r0')}"
    )
    assert len(feed_server.requests) == 4


async def test_connection_refused(http_session: ClientSession) -> None:
    with socket.socket() as sock:  # a port that was free a moment ago and has no listener
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/feed"
    with pytest.raises(FetchError, match=rf"^cannot connect to {url}: ") as caught:
        await FeedFetcher(http_session, allow_private=True).fetch(url)
    assert not caught.value.permanent


@pytest.mark.parametrize("url", ["ftp://example.org/feed", "not a url", "http://"])
async def test_invalid_url(http_session: ClientSession, url: str) -> None:
    with pytest.raises(FetchError, match=r"^invalid feed URL") as caught:
        await FeedFetcher(http_session, allow_private=True).fetch(url)
    assert caught.value.permanent


def test_backoff_doubles_with_jitter_and_caps() -> None:
    assert backoff_delay(0) == 0.0
    assert backoff_delay(1, rng=lambda: 0.0) == 30.0
    assert backoff_delay(1, rng=lambda: 1.0) == 60.0
    assert backoff_delay(3, rng=lambda: 1.0) == 240.0
    assert backoff_delay(3, rng=lambda: 0.5) == 180.0
    assert backoff_delay(50, rng=lambda: 1.0) == 6 * 3600
    assert backoff_delay(10**9, rng=lambda: 1.0) == 6 * 3600
    assert backoff_delay(2, base=10, cap=15, rng=lambda: 1.0) == 15


def test_should_disable() -> None:
    assert not should_disable(4, 5)
    assert should_disable(5, 5)
    assert should_disable(6, 5)
    assert not should_disable(1000, 0)

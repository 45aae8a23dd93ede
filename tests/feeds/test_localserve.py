"""serve_feed_files: the demo's local feed server, polled by the real fetcher."""

from __future__ import annotations

from aiohttp import ClientSession

from feeds.fetch import FeedFetcher
from feeds.localserve import serve_feed_files
from feeds.parse import parse_feed
from tests.feeds.conftest import FEED_DATA


async def test_serves_files_with_etags(http_session: ClientSession) -> None:
    atom = (FEED_DATA / "an.atom").read_bytes()
    runner, base = await serve_feed_files({"an.atom": (atom, "application/atom+xml")})
    try:
        assert base.startswith("http://127.0.0.1:")
        fetcher = FeedFetcher(http_session, allow_private=True)
        first = await fetcher.fetch(f"{base}/an.atom")
        assert first.body == atom and first.etag
        parsed = await parse_feed(first.body, content_type=first.content_type)
        assert len(parsed.items) == 2
        second = await fetcher.fetch(f"{base}/an.atom", etag=first.etag)
        assert second.status == "not_modified"
        missing = await http_session.get(f"{base}/other")
        assert missing.status == 404
    finally:
        await runner.cleanup()

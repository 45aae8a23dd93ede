"""storage.ingest: the feed pipeline against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from feeds.fetch import FeedFetcher
from feeds.localserve import serve_app
from storage.db import Database
from storage.feeds import get_feed
from storage.ingest import ingest_file, poll_feed
from storage.issues import get_issue, get_issue_by_number, summaries_of


@dataclass
class FeedServer:
    url: str
    body: bytes
    status: int = 200
    hits: int = 0


@pytest.fixture
async def feed_server(data_dir: Path) -> AsyncIterator[FeedServer]:
    state = FeedServer(url="", body=(data_dir / "feeds" / "an.atom").read_bytes())

    async def handle(request: web.Request) -> web.Response:
        state.hits += 1
        if state.status != 200:
            return web.Response(status=state.status, text="nope")
        etag = '"' + hashlib.sha256(state.body).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=state.body, headers={"ETag": etag, "Content-Type": "application/atom+xml"}
        )

    app = web.Application()
    app.router.add_get("/feed", handle)
    runner, base_url = await serve_app(app)
    state.url = f"{base_url}/feed"
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture
async def fetcher() -> AsyncIterator[FeedFetcher]:
    async with aiohttp.ClientSession() as session:
        yield FeedFetcher(
            session, allow_private=True, timeout=5, max_bytes=5_000_000, max_redirects=3
        )


async def test_first_poll_backfill_then_304_then_update(
    db: Database, feed_server: FeedServer, fetcher: FeedFetcher
) -> None:
    first = await poll_feed(db, fetcher, feed_server.url, backfill=1, max_failures=3)
    assert first.error is None and len(first.new) == 2 and first.updated == []
    assert len(first.published) == 1  # only the newest entry is published on the first poll
    async with db.session() as session:
        newest = await get_issue(session, first.published[0])
        older = await get_issue(session, first.new[0])
        assert newest is not None and newest.number == 56 and newest.publish
        assert older is not None and older.number == 55 and not older.publish
        assert len(await summaries_of(session, newest.id or 0)) >= 10

    second = await poll_feed(db, fetcher, feed_server.url, backfill=1, max_failures=3)
    assert second.not_modified and second.new == [] and feed_server.hits == 2

    feed_server.body = feed_server.body.replace(b"HARKing", b"HARKing (corrected)", 1)
    third = await poll_feed(db, fetcher, feed_server.url, backfill=1, max_failures=3)
    assert third.new == [] and third.updated == [newest.id] and third.unchanged == 1


async def test_later_new_entries_are_published(
    db: Database, feed_server: FeedServer, fetcher: FeedFetcher, data_dir: Path
) -> None:
    full = feed_server.body
    start, end = full.index(b"<entry"), full.index(b"</entry>") + len(b"</entry>")
    feed_server.body = full[:start] + full[end:]  # the feed before AN #56 appeared
    first = await poll_feed(db, fetcher, feed_server.url, backfill=0, max_failures=3)
    assert len(first.new) == 1 and first.published == []
    feed_server.body = full
    second = await poll_feed(db, fetcher, feed_server.url, backfill=0, max_failures=3)
    assert len(second.new) == 1 and second.published == second.new and second.unchanged == 1


async def test_failures_are_recorded_and_disable_the_feed(
    db: Database, feed_server: FeedServer, fetcher: FeedFetcher
) -> None:
    feed_server.status = 503
    reports = [
        await poll_feed(db, fetcher, feed_server.url, backfill=0, max_failures=2) for _ in range(3)
    ]
    assert all(r.error for r in reports)
    assert [r.disabled for r in reports] == [False, True, True]
    assert feed_server.hits == 2  # a disabled feed is not fetched again
    async with db.session() as session:
        feed = await get_feed(session, url=feed_server.url)
    assert feed is not None and feed.disabled and feed.consecutive_failures == 2


async def test_not_a_feed_is_an_error(
    db: Database, feed_server: FeedServer, fetcher: FeedFetcher
) -> None:
    feed_server.body = b"<html><body>login page</body></html>"
    report = await poll_feed(db, fetcher, feed_server.url, backfill=0, max_failures=5)
    assert report.error and "not a feed" in report.error and report.new == []
    async with db.session() as session:
        feed = await get_feed(session, url=feed_server.url)
    assert feed is not None and feed.last_error == report.error


async def test_ingest_files(db: Database, data_dir: Path) -> None:
    atom = await ingest_file(db, data_dir / "feeds" / "an.atom")
    assert len(atom.new) == 2
    again = await ingest_file(db, data_dir / "feeds" / "an.atom")
    assert again.new == [] and again.unchanged == 2

    text = await ingest_file(db, data_dir / "seed-issue-with-comments.txt", number=999)
    assert len(text.new) == 1
    async with db.session() as session:
        issue = await get_issue_by_number(session, 999)
        assert issue is not None and issue.label == "AN #999"
        titles = [s.title for s in await summaries_of(session, issue.id or 0)]
    assert any(t.startswith("HARK Side of Deep Learning") for t in titles)


RSS_ITEMS = (
    "<channel><title>Shapes</title><link>http://example.org/</link>"
    "<item><guid>one</guid><title>Entry one</title><description>Body one</description></item>"
    "<item><guid>two</guid><title>Entry two</title><description>Body two</description></item>"
    "</channel>"
)


@pytest.mark.parametrize(
    ("shape", "body"),
    [
        ("comment first", f'<!-- a comment --><rss version="2.0">{RSS_ITEMS}</rss>'.encode()),
        (
            "RSS 0.91 doctype",
            (
                '<?xml version="1.0"?><!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS '
                '0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
                f'<rss version="0.91">{RSS_ITEMS}</rss>'
            ).encode(),
        ),
        (
            "UTF-16 with BOM",
            f'<?xml version="1.0" encoding="utf-16"?><rss version="2.0">{RSS_ITEMS}</rss>'.encode(
                "utf-16"
            ),
        ),
        (
            "declared latin-1",
            (
                '<?xml version="1.0" encoding="iso-8859-1"?><rss version="2.0">'
                + RSS_ITEMS.replace("Body one", "Body \xe9t\xe9")
                + "</rss>"
            ).encode("latin-1"),
        ),
    ],
)
async def test_ingest_file_detects_feeds_by_parsing(
    db: Database, tmp_path: Path, shape: str, body: bytes
) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(body)
    report = await ingest_file(db, path)
    assert report.error is None and len(report.new) == 2, shape
    async with db.session() as session:
        titles = sorted([(await get_issue(session, i)).title for i in report.new])  # type: ignore[union-attr]
        texts = [s.summary for i in report.new for s in await summaries_of(session, i)]
    assert titles == ["Entry one", "Entry two"], shape
    assert not any("<rss" in t or "<?xml" in t for t in texts), shape
    if "latin-1" in shape:
        assert any("Body été" in t for t in texts)


@pytest.mark.parametrize(
    "body",
    [
        f'<?xml version="1.0"?><rss version="2.0">{RSS_ITEMS}</rss>'.encode()[:60],  # cut
        b'<?xml version="1.0"?><!-- only a comment -->',
    ],
)
async def test_ingest_file_refuses_broken_markup_in_one_line(
    db: Database, tmp_path: Path, body: bytes
) -> None:
    path = tmp_path / "cut.xml"
    path.write_bytes(body)
    report = await ingest_file(db, path)
    assert report.error and "\n" not in report.error and report.new == []
    async with db.session() as session:
        assert await get_feed(session, url=path.resolve().as_uri()) is None


async def test_a_saved_html_page_is_an_issue_without_its_tags(db: Database, tmp_path: Path) -> None:
    """Markup that is no feed is refused unless it is an HTML page: that is read as one issue
    (a saved AN page, issue 13), its text stored without tags, never as raw markup."""
    path = tmp_path / "page.html"
    path.write_bytes(b"<!doctype html><html><body><p>a <b>page</b></p></body></html>")
    report = await ingest_file(db, path)
    assert report.error is None and len(report.new) == 1
    async with db.session() as session:
        texts = [s.title + " " + s.summary for s in await summaries_of(session, report.new[0])]
    assert texts and not any("<" in t for t in texts)


async def test_markdown_issue_is_stored_whole(db: Database, data_dir: Path) -> None:
    """Every paragraph of the issue is in a stored field: summaries, or the issue's intro."""
    from feeds.types import Opinion, ParsedIssue, ParsedSummary
    from tests.feeds.issue_check import lost_paragraphs, markdown_paragraphs

    path = data_dir / "an-markdown" / "an-095.md"
    report = await ingest_file(db, path)
    assert len(report.new) == 1 and report.unplaced == 0
    async with db.session() as session:
        issue = await get_issue_by_number(session, 95)
        assert issue is not None and issue.label == "AN #95"
        rows = await summaries_of(session, issue.id or 0)
    # the stored rows, read back into the parser's types, cover the Markdown's paragraphs
    stored = ParsedIssue(
        title="", link=None, number=None, label=None, layout="an", intro=issue.intro,
        summaries=[
            ParsedSummary(
                title=row.title, section_path=tuple(row.section.split(" / ")),
                authors=row.authors, summarizer=row.summarizer, hat_tip=row.hat_tip,
                summary=row.summary, prerequisites=row.prerequisites, read_more=row.read_more,
                opinions=[Opinion(o["by"], o["text"]) for o in row.opinions],
            )
            for row in rows
        ],
    )  # fmt: skip
    text = path.read_text(encoding="utf-8")
    assert lost_paragraphs(markdown_paragraphs(text), stored) == []
    assert issue.intro.startswith("Alignment Newsletter is a weekly publication")
    assert "An audio podcast version of the **Alignment Newsletter** is available" in issue.intro

"""A feed never gets stuck silently (issue 12, defects 3 and 7), on both backends.

A real feed server on 127.0.0.1 serves: a feed with a NUL (`&#0;`) in one entry, a feed one
entry of which the database refuses, a redirect to a broken URL (`http://[::1`), a 404 and an
HTML page. Every failure is counted on the feed's row (created even when the first poll
fails), a bad entry is skipped with its reason stored while the others are stored, and a
permanent-looking error no longer disables the feed at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlmodel import col, select

from feeds.fetch import FeedFetcher
from feeds.localserve import serve_app
from storage.db import Database
from storage.feeds import enable_feed, get_feed
from storage.ingest import ingest_file, poll_feed
from storage.models import Issue, Summary


def rss(*entries: tuple[str, str, str]) -> bytes:
    items = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><description>{text}</description></item>"
        for guid, title, text in entries
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Hostile</title><link>http://example.org/</link>{items}</channel></rss>"
    ).encode()


@dataclass
class Routes:
    base: str = ""
    bodies: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)

    def url(self, name: str) -> str:
        return f"{self.base}/{name}"


@pytest.fixture
async def routes() -> AsyncIterator[Routes]:
    state = Routes()

    async def handle(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name in state.redirects:
            # A raw header: aiohttp's HTTPFound would refuse the broken target itself.
            return web.Response(status=302, headers={"Location": state.redirects[name]})
        status, body, ctype = state.bodies[name]
        return web.Response(status=status, body=body, headers={"Content-Type": ctype})

    app = web.Application()
    app.router.add_get("/{name}", handle)
    runner, state.base = await serve_app(app)
    try:
        yield state
    finally:
        await runner.cleanup()


@pytest.fixture
async def fetcher() -> AsyncIterator[FeedFetcher]:
    async with aiohttp.ClientSession() as session:
        yield FeedFetcher(session, timeout=5, allow_private=True)


async def _issues(db: Database) -> list[Issue]:
    async with db.session() as session:
        return list((await session.exec(select(Issue).order_by(col(Issue.id)))).all())


async def test_nul_in_one_entry_is_cleaned_and_every_entry_stored(
    db: Database, routes: Routes, fetcher: FeedFetcher
) -> None:
    routes.bodies["nul.rss"] = (
        200,
        rss(
            ("a", "First entry", "fine"),
            ("b", "Second&#0; entry", "a NUL&#0; in the body, and a lone &#xD800; surrogate"),
            ("c", "Third entry", "fine"),
        ),
        "application/rss+xml",
    )
    report = await poll_feed(db, fetcher, routes.url("nul.rss"), backfill=0, max_failures=3)
    assert report.error is None, report.error
    assert len(report.new) == 3 and report.item_errors == []
    titles = [i.title for i in await _issues(db)]
    assert sorted(titles) == ["First entry", "Second entry", "Third entry"]
    async with db.session() as session:
        bodies = [s.summary for s in (await session.exec(select(Summary))).all()]
        feed = await get_feed(session, url=routes.url("nul.rss"))
    assert not any("\x00" in b for b in bodies)
    assert any("in the body, and a lone \ufffd surrogate" in b for b in bodies)
    assert feed is not None and feed.consecutive_failures == 0 and feed.first_poll_done
    # The cleaned entries are not "changed" at the next poll (the hash is of the cleaned text).
    again = await poll_feed(db, fetcher, routes.url("nul.rss"), backfill=0, max_failures=3)
    assert again.error is None and again.new == [] and again.updated == []


async def test_nul_in_an_entry_id_is_cleaned_alike_on_both_backends(
    db: Database, routes: Routes, fetcher: FeedFetcher
) -> None:
    """feedparser keeps `&#0;` in a guid: the id is cleaned before it is looked up, hashed and
    stored, so the entry is stored on both backends (PostgreSQL refused even the look-up) and
    the next poll finds it unchanged (on SQLite the stored id had lost its NUL, the look-up had
    not: a second insert, refused, the entry skipped at every poll)."""
    routes.bodies["nul-id.rss"] = (
        200,
        rss(("a", "First entry", "fine"), ("b&#0;x", "Second entry", "fine too")),
        "application/rss+xml",
    )
    first = await poll_feed(db, fetcher, routes.url("nul-id.rss"), backfill=0, max_failures=3)
    assert first.error is None and first.item_errors == [] and len(first.new) == 2
    ids = sorted((i.entry_id or "").rsplit("/", 1)[-1] for i in await _issues(db))
    assert ids == ["a", "bx"]  # (the guids are resolved against the feed's address)
    routes.bodies["nul-id.rss"] = (  # a new entry, so that the feed is read again
        200,
        rss(("a", "First entry", "fine"), ("b&#0;x", "Second entry", "fine too"), ("c", "C", "")),
        "application/rss+xml",
    )
    again = await poll_feed(db, fetcher, routes.url("nul-id.rss"), backfill=0, max_failures=3)
    assert again.error is None and again.item_errors == []
    assert len(again.new) == 1 and again.updated == [] and again.unchanged == 2


async def test_an_entry_the_database_refuses_is_skipped_with_its_reason(
    db: Database, routes: Routes, fetcher: FeedFetcher
) -> None:
    # A 40 kB guid of distinct words: PostgreSQL's unique (feed, entry) index refuses it (an
    # index row is at most 2.7 kB); SQLite stores it. Either way the other entries are stored.
    long_guid = "x-" + "-".join(str(n * 7919) for n in range(6000))
    routes.bodies["bad.rss"] = (
        200,
        rss(("a", "Kept one", "fine"), (long_guid, "Refused one", "fine"), ("c", "Kept two", "ok")),
        "application/rss+xml",
    )
    url = routes.url("bad.rss")
    report = await poll_feed(db, fetcher, url, backfill=0, max_failures=3)
    assert report.error is None
    titles = sorted(i.title for i in await _issues(db))
    async with db.session() as session:
        feed = await get_feed(session, url=url)
    assert feed is not None and feed.consecutive_failures == 0
    if db.dialect == "postgresql":
        assert titles == ["Kept one", "Kept two"]
        assert len(report.item_errors) == 1 and "index row" in report.item_errors[0]
        [skipped] = feed.skipped_entries
        assert "/x-0-7919-15838-" in skipped["entry"] and "index row" in skipped["reason"]
        assert feed.content_hash is None  # so the next poll tries the skipped entry again
    else:
        assert titles == ["Kept one", "Kept two", "Refused one"]
        assert report.item_errors == [] and feed.skipped_entries == []


async def test_broken_redirect_is_a_failure_counted_on_a_new_feed_row(
    db: Database, routes: Routes, fetcher: FeedFetcher
) -> None:
    routes.redirects["to-broken"] = "http://[::1"
    url = routes.url("to-broken")
    reports = [await poll_feed(db, fetcher, url, backfill=0, max_failures=2) for _ in range(3)]
    assert all(r.error for r in reports)
    assert "http://[::1" in (reports[0].error or "")
    assert [r.disabled for r in reports] == [False, True, True]
    async with db.session() as session:
        feed = await get_feed(session, url=url)
    assert feed is not None and feed.disabled and feed.consecutive_failures == 2
    assert feed.last_error and "[::1" in feed.last_error


@pytest.mark.parametrize(
    ("status", "body", "ctype"),
    [
        (404, b"gone", "text/plain"),
        (200, b"<!doctype html><html><body>login</body></html>", "text/html"),
    ],
)
async def test_permanent_looking_errors_disable_only_after_max_failures(
    db: Database, routes: Routes, fetcher: FeedFetcher, status: int, body: bytes, ctype: str
) -> None:
    routes.bodies["perm"] = (status, body, ctype)
    url = routes.url("perm")
    reports = [await poll_feed(db, fetcher, url, backfill=0, max_failures=3) for _ in range(3)]
    assert [r.disabled for r in reports] == [False, False, True]
    async with db.session() as session:
        feed = await get_feed(session, url=url)
        assert feed is not None and feed.consecutive_failures == 3 and feed.last_error_permanent
        await enable_feed(session, feed)
        await session.commit()
    routes.bodies["perm"] = (200, rss(("a", "Back", "fine")), "application/rss+xml")
    back = await poll_feed(db, fetcher, url, backfill=0, max_failures=3)
    assert back.error is None and len(back.new) == 1


async def test_two_simultaneous_ingests_of_one_file(
    db: Database, tmp_path: Path, routes: Routes
) -> None:
    path = tmp_path / "feed.rss"
    path.write_bytes(rss(*((f"g{i}", f"Entry {i}", "text") for i in range(30))))
    other = Database(db.url.render_as_string(hide_password=False), schema=db.schema)
    try:
        first, second = await asyncio.gather(ingest_file(db, path), ingest_file(other, path))
    finally:
        await other.dispose()
    assert first.error is None and second.error is None
    assert sorted([len(first.new), len(second.new)])[1] >= 1
    assert len(first.new) + len(second.new) == 30
    assert len(await _issues(db)) == 30

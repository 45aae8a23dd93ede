"""storage.feeds management and routing: seed, routes with filters, removal (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime

from feeds.types import FeedItem, ParsedIssue, ParsedSummary
from storage import feeds as store
from storage import publications as pubs
from storage.db import Database
from storage.issues import upsert_issue

A, B = "https://a.example/feed", "https://b.example/feed"
FORUM, OTHER, DEFAULT = 111, 222, 333


async def _issue(db: Database, url: str, n: int, sections: list[str]) -> None:
    item = FeedItem(f"{url}#{n}", f"AN #{n}", None, datetime(2019, 1, n, tzinfo=UTC), None, "")
    summaries = [
        ParsedSummary(title=f"{url} {n} {i}", section_path=(s,), summary="text")
        for i, s in enumerate(sections)
    ]
    parsed = ParsedIssue(item.title, None, n, f"AN #{n}", summaries, "an")
    async with db.session() as s:
        feed = await store.get_or_create_feed(s, url=url)
        await upsert_issue(s, feed_id=feed.id or 0, item=item, parsed=parsed, publish=True)
        await s.commit()


async def test_seed_runs_once_and_the_database_is_the_truth_after(db: Database) -> None:
    async with db.session() as s:
        assert await store.seed_from_settings(
            s, urls=[A], channels=[(FORUM, "forum"), (OTHER, "thread")], backfill=2
        )
        await s.commit()
        assert not await store.seed_from_settings(s, urls=[A, B], channels=[], backfill=0)
        await s.commit()
        feeds = await store.managed_feeds(s)
        assert [f.url for f in feeds] == [A]
        assert feeds[0].backfill == 2
        routes = await store.feed_routes(s, feeds[0])
    assert [(r.channel_id, r.mode) for r in routes] == [(FORUM, "forum"), (OTHER, "thread")]


async def test_two_feeds_two_channels_and_a_section_filter(db: Database) -> None:
    """Each entry lands where its feed's route says, once; the filtered one nowhere."""
    async with db.session() as s:
        await store.add_feed(
            s,
            url=A,
            guild_id=1,
            backfill=0,
            routes=[store.RouteSpec(FORUM, include_sections=("Technical AI alignment",))],
        )
        await store.add_feed(s, url=B, guild_id=1, backfill=0, routes=[store.RouteSpec(OTHER)])
        await s.commit()
    await _issue(db, A, 1, ["Technical AI alignment", "AI governance"])
    await _issue(db, B, 2, ["AI governance"])
    async with db.session() as s:
        assert await pubs.enqueue_pending(s, channels=[(DEFAULT, "forum")]) == 3
        assert await pubs.enqueue_pending(s, channels=[(DEFAULT, "forum")]) == 0
        await s.commit()
        rows = await pubs.list_publications(s)
    got = sorted((r.channel_id, r.status) for r in rows)
    assert got == [(FORUM, "filtered"), (FORUM, "pending"), (OTHER, "pending")]


async def test_a_feed_without_routes_goes_to_the_default_channels(db: Database) -> None:
    await _issue(db, A, 1, ["X"])
    async with db.session() as s:
        assert await pubs.enqueue_pending(s, channels=[(DEFAULT, "forum")]) == 1
        rows = await pubs.list_publications(s)
    assert [r.channel_id for r in rows] == [DEFAULT]


async def test_removing_a_feed_drops_its_pending_rows_and_stops_it(db: Database) -> None:
    async with db.session() as s:
        await store.add_feed(s, url=A, guild_id=7, backfill=0, routes=[store.RouteSpec(FORUM)])
        await s.commit()
        assert await store.count_guild_feeds(s, guild_id=7) == 1
    await _issue(db, A, 1, ["X", "Y"])
    async with db.session() as s:
        await pubs.enqueue_pending(s, channels=[])
        feed = await store.get_feed(s, url=A)
        assert feed is not None
        assert await store.remove_feed(s, feed) == 2
        await s.commit()
        assert await pubs.list_publications(s) == []
        assert await store.feeds_to_poll(s) == []
        assert await store.count_guild_feeds(s, guild_id=7) == 0
        # nothing comes back: a removed feed publishes nowhere, not even the default channels
        assert await pubs.enqueue_pending(s, channels=[(DEFAULT, "forum")]) == 0


async def test_paused_feeds_are_not_polled(db: Database) -> None:
    async with db.session() as s:
        feed = await store.add_feed(s, url=A, guild_id=None, backfill=0, routes=[])
        await store.set_paused(s, feed, paused=True)
        await s.commit()
        assert await store.feeds_to_poll(s) == []
        await store.set_paused(s, feed, paused=False)
        assert [f.url for f in await store.feeds_to_poll(s)] == [A]

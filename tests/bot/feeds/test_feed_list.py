"""The feed list (`/an feed list`, `anbot feeds list`) names the entries the last poll skipped,
with the database's reason (issue 12, defect 3: a bad entry is skipped with a reason, stored and
shown), and says nothing of them once a poll stores them."""

from __future__ import annotations

from bot.feeds.manage import list_text
from storage.db import Database
from storage.feeds import get_or_create_feed, record_poll_success


async def test_skipped_entries_are_listed_with_their_reason(db: Database) -> None:
    skipped = [(f"https://x.org/entry-{i}", f"value too long for index row {i}") for i in range(5)]
    async with db.session() as session:
        feed = await get_or_create_feed(session, url="https://x.org/feed")
        await record_poll_success(
            session, feed, etag=None, last_modified=None, content_hash=None, skipped=skipped
        )
        await session.commit()
    text = await list_text(db, guild_id=None, poll_interval=60)
    assert "skipped by the last poll" in text
    assert "https://x.org/entry-0: value too long for index row 0" in text
    assert "(and 2 more)" in text and "entry-4" not in text

    async with db.session() as session:
        feed = await get_or_create_feed(session, url="https://x.org/feed")
        await record_poll_success(
            session, feed, etag=None, last_modified=None, content_hash="h", skipped=[]
        )
        await session.commit()
    assert "skipped" not in await list_text(db, guild_id=None, poll_interval=60)

"""storage.threads on both backends: upsert keeps what it should, tracking, catch-up position."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.db import Database
from storage.threads import (
    advance_last_message,
    get_thread,
    is_tracked,
    last_visit,
    record_visit,
    set_tracked,
    tracked_threads,
    upsert_thread,
)


async def test_upsert_track_untrack_and_position(db: Database) -> None:
    async with db.session() as s:
        await upsert_thread(s, thread_id=10, guild_id=1, channel_id=2, name="first name")
        await upsert_thread(s, thread_id=11, guild_id=1, channel_id=2, name="other", tracked=False)
        await advance_last_message(s, thread_id=10, message_id=500)
        await advance_last_message(s, thread_id=10, message_id=400)  # older: ignored
        # A re-post keeps the ids it does not know and the catch-up position.
        await upsert_thread(s, thread_id=10, guild_id=None, channel_id=None, name="x" * 150)
        await s.commit()
        thread = await get_thread(s, 10)
        assert thread is not None
        assert (thread.guild_id, thread.channel_id, thread.last_message_id) == (1, 2, 500)
        assert thread.name == "x" * 100
        assert [t.id for t in await tracked_threads(s)] == [10]
        assert await set_tracked(s, thread_id=11, tracked=True)
        assert not await set_tracked(s, thread_id=99, tracked=True)
        assert await set_tracked(s, thread_id=10, tracked=False)
        await s.commit()
        assert [t.id for t in await tracked_threads(s)] == [11]
        assert await is_tracked(s, 11) and not await is_tracked(s, 10)
        assert not await is_tracked(s, 99)


async def test_visits(db: Database) -> None:
    t1 = datetime(2024, 1, 1, tzinfo=UTC)
    async with db.session() as s:
        assert await last_visit(s, thread_id=1, user_id=2) is None
        await record_visit(s, thread_id=1, user_id=2, visited_at=t1)
        await record_visit(s, thread_id=1, user_id=2, visited_at=t1 + timedelta(days=1))
        await s.commit()
        assert await last_visit(s, thread_id=1, user_id=2) == t1 + timedelta(days=1)

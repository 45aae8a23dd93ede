"""storage.comments on both backends: upserts, revisions, tombstones, votes, replays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from storage.comments import apply_events, recent_comments, records_for_thread, thread_stats
from storage.comments.events import (
    BulkDelete,
    CommentEvent,
    MessageDelete,
    MessageEdit,
    MessageUpsert,
    ReactionAdd,
    ReactionClear,
    ReactionRemove,
)
from storage.db import Database
from storage.threads import get_thread, upsert_thread

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
THREAD = 1000


def msg(
    mid: int, text: str, *, parent: int | None = None, author: int = 1, **kw: object
) -> MessageUpsert:
    return MessageUpsert(
        message_id=mid,
        thread_id=THREAD,
        author_id=author,
        author_name=f"user{author}",
        content=text,
        created_at=T0 + timedelta(minutes=mid - THREAD),
        parent_id=parent,
        reference_id=parent,
        **kw,  # type: ignore[arg-type]
    )


async def write(db: Database, events: list[CommentEvent]) -> None:
    async with db.session() as session:
        await apply_events(session, events)
        await session.commit()


async def records(db: Database) -> dict[int, object]:
    async with db.session() as session:
        return {r.id: r for r in await records_for_thread(session, THREAD)}


async def test_tree_edit_delete_votes_and_replay(db: Database) -> None:
    async with db.session() as session:
        await upsert_thread(session, thread_id=THREAD, guild_id=1, channel_id=2, name="t")
        await session.commit()
    edited = T0 + timedelta(hours=1)
    events: list[CommentEvent] = [
        msg(THREAD, "starter", is_starter=True),
        msg(1001, "first"),
        msg(1002, "reply", parent=1001, author=2),
        msg(1003, "reply to unknown", parent=999),
        MessageEdit(message_id=1001, thread_id=THREAD, content="first v2", edited_at=edited),
        ReactionAdd(message_id=1002, user_id=7, emoji="👍"),
        ReactionAdd(message_id=1002, user_id=8, emoji="👍"),
        ReactionAdd(message_id=1002, user_id=8, emoji="🎉"),
        ReactionRemove(message_id=1002, user_id=8, emoji="🎉"),
        ReactionAdd(message_id=4242, user_id=8, emoji="👍"),  # unknown message: ignored
        msg(1004, "doomed", author=3),
        ReactionAdd(message_id=1004, user_id=8, emoji="👍"),
        MessageEdit(message_id=1004, thread_id=THREAD, content="doomed v2", edited_at=edited),
        MessageDelete(message_id=1004, thread_id=THREAD, deleted_at=edited),
    ]
    await write(db, events)
    first = await records(db)
    # Replaying everything (a RESUME, a catch-up) changes nothing.
    await write(db, events)
    await write(db, events[:5])
    again = await records(db)
    assert first == again

    r = again
    assert r[THREAD].is_starter  # type: ignore[attr-defined]
    assert r[1002].parent_id == 1001 and r[1002].score == 2  # type: ignore[attr-defined]
    assert r[1003].parent_id is None  # type: ignore[attr-defined]
    assert r[1001].content == "first v2"  # type: ignore[attr-defined]
    assert [(v.content, v.edited_at) for v in r[1001].revisions] == [("first", edited)]  # type: ignore[attr-defined]
    gone = r[1004]
    assert gone.deleted and gone.content is None and gone.author_id is None  # type: ignore[attr-defined]
    assert gone.author_name is None and gone.revisions == () and gone.score == 0  # type: ignore[attr-defined]
    # A late create for the deleted message does not resurrect it.
    await write(db, [msg(1004, "doomed")])
    assert (await records(db))[1004].deleted  # type: ignore[attr-defined]

    async with db.session() as session:
        thread = await get_thread(session, THREAD)
        assert thread is not None and thread.last_message_id == 1004
        stats = await thread_stats(session, THREAD, since=T0 + timedelta(minutes=1, seconds=30))
        recent = await recent_comments(session, THREAD, 2)
    assert (stats.comments, stats.participants, stats.new_since) == (3, 2, 2)
    assert stats.newest_at == edited
    assert [s.message_id for s in recent] == [1003, 1004]


async def test_late_full_upsert_becomes_revision_and_bulk_delete(db: Database) -> None:
    edited = T0 + timedelta(hours=2)
    await write(db, [msg(1001, "a"), msg(1002, "b"), msg(1003, "c")])
    await write(db, [msg(1001, "a edited", edited_at=edited)])
    await write(db, [msg(1001, "a edited", edited_at=edited)])
    await write(
        db,
        [
            ReactionAdd(message_id=1003, user_id=5, emoji="x"),
            ReactionClear(message_id=1003),
            BulkDelete(message_ids=(1002, 1003, 5555), thread_id=THREAD, deleted_at=edited),
        ],
    )
    r = await records(db)
    assert [v.content for v in r[1001].revisions] == ["a"]  # type: ignore[attr-defined]
    assert r[1001].edited_at == edited  # type: ignore[attr-defined]
    assert r[1002].deleted and r[1003].deleted and 5555 not in r  # type: ignore[attr-defined]


async def test_same_message_twice_in_one_batch(db: Database) -> None:
    edited = T0 + timedelta(hours=3)
    await write(db, [msg(1001, "a"), msg(1001, "a2", edited_at=edited)])
    r = await records(db)
    assert r[1001].content == "a2"  # type: ignore[attr-defined]
    assert [v.content for v in r[1001].revisions] == ["a"]  # type: ignore[attr-defined]

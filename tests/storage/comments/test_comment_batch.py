"""Batched comment writes on both backends: one batch must end exactly where the same events
applied one by one end, including several states of one message inside a batch."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from storage.comments import apply_events, records_for_thread
from storage.comments.batch import plan_batch
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
from storage.threads import get_thread
from threads.model import CommentRecord

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
THREAD = 7000


def msg(mid: int, text: str, *, thread: int = THREAD, **kw: object) -> MessageUpsert:
    return MessageUpsert(
        message_id=mid,
        thread_id=thread,
        author_id=1,
        author_name="one",
        content=text,
        created_at=T0,
        **kw,  # type: ignore[arg-type]
    )


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


async def write(db: Database, events: list[CommentEvent]) -> None:
    async with db.session() as session:
        await apply_events(session, events)
        await session.commit()


async def records(db: Database, thread: int = THREAD) -> dict[int, CommentRecord]:
    async with db.session() as session:
        return {r.id: r for r in await records_for_thread(session, thread)}


async def test_create_edit_edit_delete_in_one_batch(db: Database) -> None:
    await write(
        db,
        [
            msg(1, "v1"),
            ReactionAdd(1, 5, "👍"),
            msg(1, "v2", edited_at=at(1)),
            MessageEdit(1, THREAD, "v3", at(2)),
            msg(2, "kept"),
            MessageEdit(2, THREAD, "kept v2", at(3)),
            MessageEdit(2, THREAD, "kept v3", at(4), attachments=("https://x/a.png",)),
            MessageDelete(1, THREAD, at(5)),
            msg(1, "v1"),  # the create replayed after the delete: no resurrection
            MessageEdit(1, THREAD, "v4", at(6)),
            ReactionAdd(1, 6, "👍"),  # on a tombstone: ignored
        ],
    )
    r = await records(db)
    gone = r[1]
    assert gone.deleted and gone.content is None and gone.author_id is None
    assert gone.revisions == () and gone.score == 0 and gone.edited_at == at(2)
    kept = r[2]
    assert kept.content == "kept v3" and kept.attachments == ("https://x/a.png",)
    assert [(v.content, v.edited_at) for v in kept.revisions] == [
        ("kept", at(3)),
        ("kept v2", at(4)),
    ]


async def test_reaction_before_create_in_the_same_batch_is_ignored(db: Database) -> None:
    # Applied in order, the reaction names a message not stored yet: like any reaction on an
    # unknown message it is dropped (the vote table's foreign key would refuse it anyway).
    await write(db, [ReactionAdd(1, 5, "👍"), msg(1, "late"), ReactionAdd(1, 6, "👍")])
    assert (await records(db))[1].score == 1


async def test_stale_replay_in_a_batch_does_not_roll_back(db: Database) -> None:
    await write(db, [msg(1, "v1"), msg(1, "v3", edited_at=at(3))])
    await write(
        db,
        [
            msg(1, "v2", edited_at=at(2)),  # older than stored
            MessageEdit(1, THREAD, "v2", at(2)),
            msg(1, "v1"),  # the original create again
            msg(1, "v3", edited_at=at(3)),  # the same version again
        ],
    )
    r = (await records(db))[1]
    assert r.content == "v3" and r.edited_at == at(3)
    assert [(v.content, v.edited_at) for v in r.revisions] == [("v1", at(3))]


async def test_clear_then_add_and_remove_then_add(db: Database) -> None:
    await write(db, [msg(1, "a"), ReactionAdd(1, 5, "👍"), ReactionAdd(1, 6, "🎉")])
    await write(
        db,
        [
            ReactionAdd(1, 7, "👍"),
            ReactionClear(1),  # removes 5, 6 (stored) and 7 (this batch)
            ReactionAdd(1, 8, "👍"),  # after the clear: stays
            ReactionAdd(1, 9, "🎉"),
            ReactionClear(1, "🎉"),
            ReactionRemove(1, 8, "👍"),
            ReactionAdd(1, 8, "👍"),
        ],
    )
    assert (await records(db))[1].score == 1


async def test_bulk_delete_tombstones_stored_and_new_messages(db: Database) -> None:
    await write(db, [msg(1, "a"), msg(1, "a2", edited_at=at(1)), ReactionAdd(1, 5, "x")])
    await write(db, [msg(2, "b"), BulkDelete((1, 2, 999), THREAD, at(2)), msg(3, "c")])
    r = await records(db)
    assert r[1].deleted and r[1].revisions == () and r[1].score == 0
    assert r[2].deleted and r[2].content is None
    assert not r[3].deleted and 999 not in r
    async with db.session() as session:
        thread = await get_thread(session, THREAD)
    assert thread is not None and thread.last_message_id == 3


def test_plan_is_a_handful_of_writes_for_a_big_batch() -> None:
    events: list[CommentEvent] = []
    for mid in range(1, 401):
        events.append(msg(mid, f"m{mid}"))
        events.append(ReactionAdd(mid, 1, "👍"))
    events += [MessageEdit(mid, THREAD, "edited", at(1)) for mid in range(1, 50)]
    events += [MessageDelete(mid, THREAD, at(2)) for mid in range(1, 10)]
    plan = plan_batch(events, stored={})
    assert len(plan.comments) == 400 and len(plan.revisions) == 40
    assert len(plan.votes) == 391 and plan.purged == set(range(1, 10))


# --- batch == one by one, on random event streams -------------------------------------------

OFFSET = 10_000_000  # ids of the one-by-one copy; each stream uses its own id range


KINDS = {"create": 3, "edit": 2, "delete": 0.4, "bulk": 0.2, "add": 4, "remove": 1.5, "clear": 1}


def random_stream(rng: random.Random, base: int, length: int) -> list[CommentEvent]:
    """Events on a few messages, so that every kind meets every other on one message."""
    ids = [base + i for i in range(1, 6)]
    events: list[CommentEvent] = []
    for kind in rng.choices(list(KINDS), list(KINDS.values()), k=length):
        mid = rng.choice(ids)
        when = at(rng.randrange(0, 6))
        if kind == "create":
            edited = None if rng.random() < 0.4 else when
            parent = rng.choice([None, *ids])
            events.append(
                msg(mid, rng.choice("abc"), thread=base, edited_at=edited, parent_id=parent)
            )
        elif kind == "edit":
            files = rng.choice([None, (), ("https://x/f",)])
            events.append(MessageEdit(mid, base, rng.choice("abcd"), when, attachments=files))
        elif kind == "delete":
            events.append(MessageDelete(mid, base, when))
        elif kind == "bulk":
            events.append(BulkDelete(tuple(rng.sample(ids, 2)), base, when))
        elif kind == "add":
            events.append(ReactionAdd(mid, rng.randrange(3), rng.choice("xy")))
        elif kind == "remove":
            events.append(ReactionRemove(mid, rng.randrange(3), rng.choice("xy")))
        else:
            events.append(ReactionClear(mid, rng.choice([None, "x"])))
    return events


def shifted(event: CommentEvent) -> CommentEvent:
    """The same event on the copy's ids (message, thread and parent ids moved by OFFSET)."""
    if isinstance(event, BulkDelete):
        ids = tuple(i + OFFSET for i in event.message_ids)
        return replace(event, message_ids=ids, thread_id=event.thread_id + OFFSET)
    moved = replace(event, message_id=event.message_id + OFFSET)
    if isinstance(moved, MessageUpsert) and moved.parent_id is not None:
        moved = replace(moved, parent_id=moved.parent_id + OFFSET)
    if isinstance(moved, MessageUpsert | MessageEdit | MessageDelete):
        moved = replace(moved, thread_id=moved.thread_id + OFFSET)
    return moved


def comparable(r: CommentRecord, offset: int) -> tuple[object, ...]:
    return (
        r.id - offset,
        None if r.parent_id is None else r.parent_id - offset,
        r.content,
        r.author_id,
        r.edited_at,
        r.deleted,
        r.score,
        r.attachments,
        tuple((v.content, v.edited_at) for v in r.revisions),
    )


async def test_one_batch_equals_events_one_by_one(db: Database) -> None:
    rng = random.Random(56)
    for stream in range(25):
        base = 100_000 + stream * 1000
        # Some state from an earlier batch first, so the stream meets stored rows too.
        setup = random_stream(rng, base, 6)
        events = random_stream(rng, base, 25)
        await write(db, setup)
        await write(db, events)
        await write(db, [shifted(e) for e in setup])
        for event in events:
            await write(db, [shifted(event)])
        batched = sorted(comparable(r, 0) for r in (await records(db, base)).values())
        single = sorted(comparable(r, OFFSET) for r in (await records(db, base + OFFSET)).values())
        assert batched == single, (stream, events)
        async with db.session() as session:
            one = await get_thread(session, base)
            other = await get_thread(session, base + OFFSET)
        newest = [t.last_message_id if t else None for t in (one, other)]
        assert newest[0] == (None if newest[1] is None else newest[1] - OFFSET), stream

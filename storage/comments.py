"""Mirrored Discord messages as a comment tree: idempotent writes keyed on Discord ids.

The mirror turns gateway events into the small event dataclasses below; `apply_events` writes a
batch of them in order inside the caller's transaction. Every write is an upsert or a guarded
update, so a replayed event (gateway RESUME, catch-up after downtime) changes nothing twice:
- a create for a known message updates it (an edit seen late becomes a revision);
- an edit stores the replaced text keyed (comment_id, replaced_at), so replays add no rows;
- a delete leaves a tombstone (author, text, attachments, revisions and votes removed, the node
  and its place in the tree kept); later creates/edits never resurrect it;
- a vote is the row (comment, user, emoji): adding twice or removing twice is harmless.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Comment, CommentRevision, Vote
from storage.threads import advance_last_message, dialect_insert, ensure_thread, run
from threads.model import CommentRecord, Revision

COMMENTS: sa.Table = Comment.__table__  # type: ignore[attr-defined]
REVISIONS: sa.Table = CommentRevision.__table__  # type: ignore[attr-defined]
VOTES: sa.Table = Vote.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class MessageUpsert:
    """A message as Discord shows it now (create, full edit payload, or catch-up)."""

    message_id: int
    thread_id: int
    author_id: int | None
    author_name: str | None
    content: str
    created_at: datetime
    edited_at: datetime | None = None
    parent_id: int | None = None  # replied-to message in the same thread; None = root level
    reference_id: int | None = None  # raw message reference, whatever it points at
    attachments: tuple[str, ...] = ()
    is_starter: bool = False


@dataclass(frozen=True, slots=True)
class MessageEdit:
    """A partial edit (raw update without the whole message): new text and when it changed."""

    message_id: int
    thread_id: int
    content: str
    edited_at: datetime
    attachments: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class MessageDelete:
    message_id: int
    thread_id: int
    deleted_at: datetime


@dataclass(frozen=True, slots=True)
class BulkDelete:
    message_ids: tuple[int, ...]
    thread_id: int
    deleted_at: datetime


@dataclass(frozen=True, slots=True)
class ReactionAdd:
    message_id: int
    user_id: int
    emoji: str


@dataclass(frozen=True, slots=True)
class ReactionRemove:
    message_id: int
    user_id: int
    emoji: str


@dataclass(frozen=True, slots=True)
class ReactionClear:
    """All reactions (emoji None) or all of one emoji removed from a message."""

    message_id: int
    emoji: str | None = None


CommentEvent = (
    MessageUpsert
    | MessageEdit
    | MessageDelete
    | BulkDelete
    | ReactionAdd
    | ReactionRemove
    | ReactionClear
)


@dataclass(slots=True)
class _Stored:
    content: str | None
    edited_at: datetime | None
    deleted: bool

    def is_newer(self, edited_at: datetime | None) -> bool:
        """Whether an event's version is newer than ours: stale replays must not roll back."""
        if edited_at is None:
            return False
        return self.edited_at is None or edited_at > self.edited_at


@dataclass(slots=True)
class _Batch:
    """Per-transaction memo: which threads exist and the newest message per thread."""

    threads: set[int] = field(default_factory=set)
    newest: dict[int, int] = field(default_factory=dict)


async def apply_events(session: AsyncSession, events: Sequence[CommentEvent]) -> None:
    """Write `events` in order (the caller commits). Consecutive upserts share one lookup."""
    memo = _Batch()
    i = 0
    while i < len(events):
        event = events[i]
        if isinstance(event, MessageUpsert):
            j = i
            while j < len(events) and isinstance(events[j], MessageUpsert):
                j += 1
            group = [e for e in events[i:j] if isinstance(e, MessageUpsert)]
            await _upsert_messages(session, group, memo)
            i = j
            continue
        await _apply_one(session, event)
        i += 1
    for thread_id, message_id in memo.newest.items():
        await advance_last_message(session, thread_id=thread_id, message_id=message_id)


async def _apply_one(session: AsyncSession, event: CommentEvent) -> None:
    if isinstance(event, MessageEdit):
        await _edit(session, event)
    elif isinstance(event, MessageDelete):
        await _tombstone(session, [event.message_id], event.deleted_at)
    elif isinstance(event, BulkDelete):
        await _tombstone(session, list(event.message_ids), event.deleted_at)
    elif isinstance(event, ReactionAdd):
        await _vote(session, event)
    elif isinstance(event, ReactionRemove):
        await run(
            session,
            sa.delete(VOTES).where(
                VOTES.c.comment_id == event.message_id,
                VOTES.c.user_id == event.user_id,
                VOTES.c.emoji == event.emoji,
            ),
        )
    elif isinstance(event, ReactionClear):
        stmt = sa.delete(VOTES).where(VOTES.c.comment_id == event.message_id)
        if event.emoji is not None:
            stmt = stmt.where(VOTES.c.emoji == event.emoji)
        await run(session, stmt)


async def _stored(session: AsyncSession, ids: Iterable[int]) -> dict[int, _Stored]:
    ids = list(ids)
    if not ids:
        return {}
    rows = await run(
        session,
        sa.select(
            COMMENTS.c.id,
            COMMENTS.c.content,
            COMMENTS.c.edited_at,
            COMMENTS.c.deleted,
        ).where(COMMENTS.c.id.in_(ids)),
    )
    return {row.id: _Stored(row.content, row.edited_at, row.deleted) for row in rows}


async def _upsert_messages(session: AsyncSession, group: list[MessageUpsert], memo: _Batch) -> None:
    for thread_id in {e.thread_id for e in group} - memo.threads:
        await ensure_thread(session, thread_id=thread_id)
        memo.threads.add(thread_id)
    # Several states of one message in a batch (create, then edits) are applied in order, in
    # rounds: round k holds the k-th state of each message, so every edit leaves its revision.
    rounds: list[dict[int, MessageUpsert]] = []
    seen: dict[int, int] = {}
    for event in group:
        k = seen.get(event.message_id, 0)
        seen[event.message_id] = k + 1
        if k == len(rounds):
            rounds.append({})
        rounds[k][event.message_id] = event
        newest = memo.newest.get(event.thread_id, 0)
        if event.message_id > newest and not event.is_starter:
            memo.newest[event.thread_id] = event.message_id
    for states in rounds:
        await _upsert_round(session, states)


async def _upsert_round(session: AsyncSession, states: dict[int, MessageUpsert]) -> None:
    stored = await _stored(session, states)
    fresh = [_row(e) for mid, e in states.items() if mid not in stored]
    if fresh:
        stmt = dialect_insert(session, COMMENTS)
        await run(session, stmt.on_conflict_do_nothing(index_elements=[COMMENTS.c.id]), fresh)
    for mid, event in states.items():
        old = stored.get(mid)
        if old is None or old.deleted or not old.is_newer(event.edited_at):
            continue  # inserted above, a tombstone that stays one, or a replay of what we have
        if old.content is not None and old.content != event.content and event.edited_at:
            await _add_revision(session, mid, old.content, event.edited_at)
        values = _row(event)
        del values["id"]
        await run(
            session,
            sa.update(COMMENTS)
            .where(COMMENTS.c.id == mid, COMMENTS.c.deleted.is_(False))
            .values(**values),
        )


def _row(event: MessageUpsert) -> dict[str, Any]:
    return {
        "id": event.message_id,
        "thread_id": event.thread_id,
        "parent_id": event.parent_id,
        "reference_id": event.reference_id,
        "author_id": event.author_id,
        "author_name": event.author_name,
        "content": event.content,
        "attachments": list(event.attachments),
        "is_starter": event.is_starter,
        "deleted": False,
        "created_at": event.created_at,
        "edited_at": event.edited_at,
        "deleted_at": None,
    }


async def _add_revision(
    session: AsyncSession, comment_id: int, content: str, replaced_at: datetime
) -> None:
    stmt = dialect_insert(session, REVISIONS).values(
        comment_id=comment_id, content=content, replaced_at=replaced_at
    )
    await run(session, stmt.on_conflict_do_nothing(index_elements=["comment_id", "replaced_at"]))


async def _edit(session: AsyncSession, event: MessageEdit) -> None:
    old = (await _stored(session, [event.message_id])).get(event.message_id)
    if old is None or old.deleted or not old.is_newer(event.edited_at):
        return  # unknown (never mirrored), a tombstone, or a replay of an older edit
    values: dict[str, Any] = {"edited_at": event.edited_at}
    if event.attachments is not None:
        values["attachments"] = list(event.attachments)
    if old.content != event.content:
        if old.content is not None:
            await _add_revision(session, event.message_id, old.content, event.edited_at)
        values["content"] = event.content
    await run(
        session,
        sa.update(COMMENTS)
        .where(COMMENTS.c.id == event.message_id, COMMENTS.c.deleted.is_(False))
        .values(**values),
    )


async def _tombstone(session: AsyncSession, ids: list[int], deleted_at: datetime) -> None:
    if not ids:
        return
    await run(
        session,
        sa.update(COMMENTS)
        .where(COMMENTS.c.id.in_(ids), COMMENTS.c.deleted.is_(False))
        .values(
            deleted=True,
            deleted_at=deleted_at,
            author_id=None,
            author_name=None,
            content=None,
            attachments=[],
        ),
    )
    # The member deleted the message: its earlier texts and its reactions go with it.
    await run(session, sa.delete(REVISIONS).where(REVISIONS.c.comment_id.in_(ids)))
    await run(session, sa.delete(VOTES).where(VOTES.c.comment_id.in_(ids)))


async def _vote(session: AsyncSession, event: ReactionAdd) -> None:
    # INSERT ... SELECT guarded by EXISTS: a reaction on an unmirrored or deleted message is
    # ignored instead of violating the foreign key.
    source = sa.select(
        sa.literal(event.message_id, sa.BigInteger()),
        sa.literal(event.user_id, sa.BigInteger()),
        sa.literal(event.emoji, sa.String()),
    ).where(sa.exists().where(COMMENTS.c.id == event.message_id, COMMENTS.c.deleted.is_(False)))
    stmt = dialect_insert(session, VOTES).from_select(["comment_id", "user_id", "emoji"], source)
    await run(session, stmt.on_conflict_do_nothing())


# --- reads -----------------------------------------------------------------------------------


async def records_for_thread(session: AsyncSession, thread_id: int) -> list[CommentRecord]:
    """Every stored comment of a thread (tombstones included) with score and revisions."""
    score = (
        sa.select(VOTES.c.comment_id, sa.func.count().label("score"))
        .group_by(VOTES.c.comment_id)
        .subquery()
    )
    rows = (
        await run(
            session,
            sa.select(COMMENTS, sa.func.coalesce(score.c.score, 0).label("score"))
            .outerjoin(score, score.c.comment_id == COMMENTS.c.id)
            .where(COMMENTS.c.thread_id == thread_id)
            .order_by(COMMENTS.c.id),
        )
    ).all()
    ids = [row.id for row in rows]
    revisions: dict[int, list[Revision]] = {}
    if ids:
        revs = await run(
            session,
            sa.select(REVISIONS.c.comment_id, REVISIONS.c.content, REVISIONS.c.replaced_at)
            .where(REVISIONS.c.comment_id.in_(ids))
            .order_by(REVISIONS.c.comment_id, REVISIONS.c.replaced_at),
        )
        for rev in revs:
            revisions.setdefault(rev.comment_id, []).append(
                Revision(content=rev.content, edited_at=rev.replaced_at)
            )
    known = set(ids)
    return [
        CommentRecord(
            id=row.id,
            # A reply to a message we never stored (before tracking began) sits at root level.
            parent_id=row.parent_id if row.parent_id in known else None,
            author_id=row.author_id,
            author_name=row.author_name,
            content=row.content,
            created_at=row.created_at,
            edited_at=row.edited_at,
            deleted=row.deleted,
            score=int(row.score),
            attachments=tuple(row.attachments or ()),
            revisions=tuple(revisions.get(row.id, ())),
            is_starter=row.is_starter,
        )
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class StoredState:
    """What catch-up compares with Discord's history."""

    message_id: int
    edited_at: datetime | None
    deleted: bool


async def recent_comments(session: AsyncSession, thread_id: int, limit: int) -> list[StoredState]:
    """The newest `limit` non-starter comments of a thread, oldest first."""
    rows = await run(
        session,
        sa.select(COMMENTS.c.id, COMMENTS.c.edited_at, COMMENTS.c.deleted)
        .where(COMMENTS.c.thread_id == thread_id, COMMENTS.c.is_starter.is_(False))
        .order_by(COMMENTS.c.id.desc())
        .limit(limit),
    )
    return [StoredState(r.id, r.edited_at, r.deleted) for r in reversed(rows.all())]


@dataclass(frozen=True, slots=True)
class ThreadStats:
    comments: int  # live (not deleted) comments, the starter excluded
    participants: int  # distinct authors of those comments
    newest_at: datetime | None  # newest creation or edit
    new_since: int  # comments created after the given time (all when no time given)


async def thread_stats(
    session: AsyncSession, thread_id: int, since: datetime | None = None
) -> ThreadStats:
    live = sa.and_(
        COMMENTS.c.thread_id == thread_id,
        COMMENTS.c.deleted.is_(False),
        COMMENTS.c.is_starter.is_(False),
    )
    row = (
        await run(
            session,
            sa.select(
                sa.func.count().label("n"),
                sa.func.count(sa.distinct(COMMENTS.c.author_id)).label("people"),
                sa.func.max(COMMENTS.c.created_at).label("created"),
                sa.func.max(COMMENTS.c.edited_at).label("edited"),
            ).where(live),
        )
    ).one()
    new_query = sa.select(sa.func.count()).where(live)
    if since is not None:
        new_query = new_query.where(COMMENTS.c.created_at > since)
    new_since = (await run(session, new_query)).scalar_one()
    stamps = [_aware(t) for t in (row.created, row.edited) if t is not None]
    newest = max((t for t in stamps if t is not None), default=None)
    return ThreadStats(int(row.n), int(row.people), newest, int(new_since))


def _aware(value: datetime | None) -> datetime | None:
    # Aggregates bypass the UTCDateTime type on SQLite and come back naive or as text.
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

"""Mirrored Discord messages as a comment tree: idempotent writes keyed on Discord ids.

The mirror turns gateway events into the small dataclasses of storage.comments.events;
`apply_events` (async, a session) or `write_events` (a synchronous connection, for
Database.run_sync) writes a batch of them inside the caller's transaction. Every write is an upsert
or a guarded update, so a replayed event (gateway RESUME, catch-up after downtime) changes
nothing twice:
- a create for a known message updates it (an edit seen late becomes a revision);
- an edit stores the replaced text keyed (comment_id, replaced_at), so replays add no rows;
- a delete leaves a tombstone (author, text, attachments, revisions and votes removed, the node
  and its place in the tree kept); later creates/edits never resurrect it;
- a vote is the row (comment, user, emoji): adding twice or removing twice is harmless.

A batch costs a fixed handful of statements whatever its size: one read of the rows it touches,
then one executemany per kind of write (storage.comments.batch works out the end state).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from storage.comments import executemany as fixed
from storage.comments.batch import BatchPlan, Row, plan_batch, touched_ids
from storage.comments.events import CommentEvent
from storage.sql import dialect_insert, run
from storage.tables import COMMENT, COMMENT_REVISION, DISCORD_THREAD, VOTE
from storage.types import utcnow
from threads.model import CommentRecord, Revision

if TYPE_CHECKING:  # the async session (SQLModel, the ORM) is the caller's: not loaded here
    from sqlmodel.ext.asyncio.session import AsyncSession

__all__ = [
    "StoredState",
    "ThreadStats",
    "apply_events",
    "recent_comments",
    "records_for_thread",
    "stored_votes",
    "thread_records",
    "thread_stats",
    "write_events",
]

# Core tables (storage.tables): `anbot export` reads a thread without loading the ORM.
COMMENTS = COMMENT
REVISIONS = COMMENT_REVISION
VOTES = VOTE
THREADS = DISCORD_THREAD
# Bound-parameter lists stay under every backend's limit (SQLite before 3.32 allowed 999).
_IN_CHUNK = 900


async def apply_events(session: AsyncSession, events: Sequence[CommentEvent]) -> None:
    """Write `events` as if applied one by one in order (the caller commits)."""
    if events:
        await session.run_sync(lambda sync: write_events(sync.connection(), events))


def write_events(conn: sa.Connection, events: Sequence[CommentEvent]) -> None:
    """`apply_events` on a synchronous connection, in its transaction (Database.run_sync).

    Synchronous on purpose: the batch is a read, a plan, then a few executemany calls, and on
    SQLite running them in one worker thread costs one thread hop instead of one per cursor call.
    """
    if not events:
        return
    sql = _statements_for(conn.dialect.name)
    stored: dict[int, Row] = {}
    for chunk in _chunks(sorted(touched_ids(events))):
        for row in conn.execute(sql.select_comments, {"ids": chunk}):
            stored[row.id] = dict(row._mapping)
    for statement, params in write_steps(sql, plan_batch(events, stored)):
        if isinstance(statement, fixed.FixedSql):
            fixed.executemany(conn, statement, params)
        else:
            conn.execute(statement, params)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), _IN_CHUNK):
        yield list(ids[i : i + _IN_CHUNK])


Step = tuple[Any, Any]  # (statement, parameters: one dict, or a list of them for executemany)


def write_steps(sql: _Statements, plan: BatchPlan) -> Iterator[Step]:
    """The statements that bring the database to the plan's end state, in a safe order."""
    if plan.threads:
        # One statement both creates missing thread rows and moves each catch-up position
        # forward (never back: events may arrive out of order).
        now = utcnow()
        threads = [
            {"id": t, "tracked": True, "created_at": now, "last_message_id": plan.newest.get(t)}
            for t in sorted(plan.threads)
        ]
        yield sql.upsert_thread, threads
    if plan.comments:
        yield sql.upsert_comment, plan.comments
    for chunk in _chunks(sorted(plan.purged)):
        yield sql.drop_revisions, {"ids": chunk}
    if plan.revisions:
        yield sql.add_revision, plan.revisions
    # Every vote removal (tombstones, clears, removes) runs before the inserts, so a vote added
    # after a clear in the same batch stays.
    drops: list[dict[str, int | str | None]] = [
        {"c": mid, "u": None, "e": None} for mid in sorted(plan.purged | plan.vote_clears)
    ]
    drops += [{"c": mid, "u": None, "e": emoji} for mid, emoji in sorted(plan.emoji_clears)]
    drops += [{"c": c, "u": u, "e": e} for c, u, e in plan.unvotes]
    if drops:
        yield sql.drop_votes, drops
    if plan.votes:
        yield sql.vote, [{"c": c, "u": u, "e": e} for c, u, e in plan.votes]


class _Statements:
    """The batch's statements, built once per dialect with bound parameters (run executemany).

    With `fixed_sql` (SQLite), the bulk ones are the same writes as fixed SQL text
    (storage.comments.executemany), which skips SQLAlchemy's per-row parameter handling.
    """

    upsert_thread: Any
    upsert_comment: Any
    add_revision: Any
    drop_votes: Any
    vote: Any

    def __init__(self, dialect: str, *, fixed_sql: bool) -> None:
        def insert(table: sa.Table) -> Any:
            return dialect_insert(dialect, table)

        ids: sa.BindParameter[list[int]] = sa.bindparam("ids", expanding=True)
        live = COMMENTS.c.deleted.is_(False)
        self.select_comments = sa.select(COMMENTS).where(COMMENTS.c.id.in_(ids))
        threads = insert(THREADS)
        last, newest = THREADS.c.last_message_id, threads.excluded.last_message_id
        self.upsert_thread = threads.on_conflict_do_update(
            index_elements=[THREADS.c.id],
            set_={"last_message_id": newest},
            where=sa.and_(newest.is_not(None), sa.or_(last.is_(None), last < newest)),
        )
        upsert = insert(COMMENTS)
        self.upsert_comment = upsert.on_conflict_do_update(
            index_elements=[COMMENTS.c.id],
            set_={c.name: upsert.excluded[c.name] for c in COMMENTS.c if c.name != "id"},
            where=live,  # a tombstone is never written over
        )
        self.add_revision = insert(REVISIONS).on_conflict_do_nothing(
            index_elements=[REVISIONS.c.comment_id, REVISIONS.c.replaced_at]
        )
        self.drop_revisions = sa.delete(REVISIONS).where(REVISIONS.c.comment_id.in_(ids))
        comment = sa.bindparam("c", type_=sa.BigInteger())
        user = sa.bindparam("u", type_=sa.BigInteger())
        emoji = sa.bindparam("e", type_=sa.String())
        # One shape for every removal: a vote (c, u, e), one emoji (u NULL) or all (both NULL).
        self.drop_votes = sa.delete(VOTES).where(
            VOTES.c.comment_id == comment,
            sa.or_(user.is_(None), VOTES.c.user_id == user),
            sa.or_(emoji.is_(None), VOTES.c.emoji == emoji),
        )
        # INSERT ... SELECT guarded by EXISTS: the plan only keeps votes on live messages, and the
        # guard keeps it so if another connection deleted the message meanwhile.
        source = sa.select(comment, user, emoji).where(
            sa.exists().where(COMMENTS.c.id == comment, live)
        )
        self.vote = (
            insert(VOTES)
            .from_select(["comment_id", "user_id", "emoji"], source)
            .on_conflict_do_nothing()
        )
        if fixed_sql:
            self.upsert_thread = fixed.UPSERT_THREAD
            self.upsert_comment = fixed.UPSERT_COMMENT
            self.add_revision = fixed.ADD_REVISION
            self.drop_votes = fixed.DROP_VOTES
            self.vote = fixed.VOTE


@cache
def _statements_for(dialect: str) -> _Statements:
    return _Statements(dialect, fixed_sql=dialect == "sqlite")


# --- reads -----------------------------------------------------------------------------------


async def records_for_thread(session: AsyncSession, thread_id: int) -> list[CommentRecord]:
    """Every stored comment of a thread (tombstones included) with score and revisions."""
    return await session.run_sync(lambda sync: thread_records(sync.connection(), thread_id))


def thread_records(conn: sa.Connection, thread_id: int) -> list[CommentRecord]:
    """`records_for_thread` on a synchronous connection (Database.run_sync)."""
    score = (
        sa.select(VOTES.c.comment_id, sa.func.count().label("score"))
        .group_by(VOTES.c.comment_id)
        .subquery()
    )
    rows = conn.execute(
        sa.select(COMMENTS, sa.func.coalesce(score.c.score, 0).label("score"))
        .outerjoin(score, score.c.comment_id == COMMENTS.c.id)
        .where(COMMENTS.c.thread_id == thread_id)
        .order_by(COMMENTS.c.id)
    ).all()
    ids = [row.id for row in rows]
    revisions: dict[int, list[Revision]] = {}
    if ids:
        revs = conn.execute(
            sa.select(REVISIONS.c.comment_id, REVISIONS.c.content, REVISIONS.c.replaced_at)
            .where(REVISIONS.c.comment_id.in_(ids))
            .order_by(REVISIONS.c.comment_id, REVISIONS.c.replaced_at)
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


async def stored_votes(session: AsyncSession, thread_id: int) -> dict[int, dict[str, set[int]]]:
    """comment id -> emoji -> the users whose vote is stored, for one thread (catch-up)."""
    rows = await run(
        session,
        sa.select(VOTES.c.comment_id, VOTES.c.emoji, VOTES.c.user_id)
        .join(COMMENTS, COMMENTS.c.id == VOTES.c.comment_id)
        .where(COMMENTS.c.thread_id == thread_id),
    )
    out: dict[int, dict[str, set[int]]] = {}
    for row in rows:
        out.setdefault(row.comment_id, {}).setdefault(row.emoji, set()).add(row.user_id)
    return out


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

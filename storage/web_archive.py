"""What the public web archive may show, and the reads it is built from.

Consent and privacy live here as data (migration 0010): a thread is public only when its parent
channel is readable by @everyone (`web_channel.everyone_can_read`, kept by bot/archive from the
channel's permission overwrites) AND a moderator published that channel, and the thread is
neither deleted in Discord nor private (`web_thread_state`). Nothing is public by default.
A member who chose `/an privacy web:hide` is in `web_member`: the web shows their comments as
"hidden by its author". Every read below applies these rules in SQL, so no caller can forget.

Functions flush nothing and commit nothing: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import (
    Comment,
    DiscordThread,
    Issue,
    Publication,
    Summary,
    Vote,
    WebChannel,
    WebMember,
    WebThreadState,
    utcnow,
)
from storage.sql import dialect_insert, run, table_of

CHANNELS: sa.Table = table_of(WebChannel)
STATES: sa.Table = table_of(WebThreadState)
MEMBERS: sa.Table = table_of(WebMember)
THREADS: sa.Table = table_of(DiscordThread)
PUBS: sa.Table = table_of(Publication)
COMMENTS: sa.Table = table_of(Comment)
VOTES: sa.Table = table_of(Vote)
ISSUES: sa.Table = table_of(Issue)
SUMMARIES: sa.Table = table_of(Summary)


# --- consent and visibility (written by bot/archive) -------------------------------------------


async def set_channel_access(
    session: AsyncSession,
    *,
    channel_id: int,
    guild_id: int | None,
    name: str,
    everyone_can_read: bool,
) -> None:
    """Record whether @everyone can read a channel (keeps the moderator's publish choice)."""
    await _upsert_channel(
        session, channel_id=channel_id, guild_id=guild_id, name=name,
        everyone_can_read=everyone_can_read, published=None,
    )  # fmt: skip


async def set_published(
    session: AsyncSession,
    *,
    channel_id: int,
    guild_id: int | None,
    name: str,
    published: bool,
    everyone_can_read: bool,
) -> None:
    """A moderator's `/an web publish|unpublish`, with the channel's access as seen right now."""
    await _upsert_channel(
        session, channel_id=channel_id, guild_id=guild_id, name=name,
        everyone_can_read=everyone_can_read, published=published,
    )  # fmt: skip


async def _upsert_channel(
    session: AsyncSession,
    *,
    channel_id: int,
    guild_id: int | None,
    name: str,
    everyone_can_read: bool,
    published: bool | None,
) -> None:
    """One channel row; `published` None keeps a stored choice (a new row starts unpublished)."""
    stmt = dialect_insert(session, CHANNELS).values(
        channel_id=channel_id,
        guild_id=guild_id,
        name=name[:100],
        everyone_can_read=everyone_can_read,
        published=bool(published),
        updated_at=utcnow(),
    )
    changed = ["guild_id", "name", "everyone_can_read", "updated_at"]
    if published is not None:
        changed.append("published")
    stmt = stmt.on_conflict_do_update(
        index_elements=[CHANNELS.c.channel_id],
        set_={column: stmt.excluded[column] for column in changed},
    )
    await run(session, stmt)


async def set_thread_state(
    session: AsyncSession, *, thread_id: int, deleted: bool = False, private: bool = False
) -> None:
    """A thread deleted in Discord, or a private thread: never on the web (nor its comments)."""
    stmt = dialect_insert(session, STATES).values(
        thread_id=thread_id, deleted=deleted, private=private, updated_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[STATES.c.thread_id],
        set_={
            "deleted": stmt.excluded.deleted,
            "private": stmt.excluded.private,
            "updated_at": stmt.excluded.updated_at,
        },
    )
    await run(session, stmt)


async def set_member_hidden(session: AsyncSession, *, user_id: int, hidden: bool) -> None:
    stmt = dialect_insert(session, MEMBERS).values(
        user_id=user_id, hidden=hidden, updated_at=utcnow()
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[MEMBERS.c.user_id],
        set_={"hidden": stmt.excluded.hidden, "updated_at": stmt.excluded.updated_at},
    )
    await run(session, stmt)


# --- the public rule, as SQL -----------------------------------------------------------------


def public_thread(thread_id: Any, *, per_row: bool = False) -> Any:
    """SQL: the thread `thread_id` (a column) is on the web. `per_row`: see exists_of."""
    # An explicit join: SQLAlchemy's cartesian-product lint misreads two FROMs linked in WHERE
    # inside a LATERAL subquery (storage.search.discussions).
    channel = exists_of(
        THREADS.join(CHANNELS, CHANNELS.c.channel_id == THREADS.c.channel_id),
        THREADS.c.id == thread_id,
        CHANNELS.c.published.is_(True),
        CHANNELS.c.everyone_can_read.is_(True),
        per_row=per_row,
    )
    gone = exists_of(
        STATES,
        STATES.c.thread_id == thread_id,
        sa.or_(STATES.c.deleted, STATES.c.private),
        per_row=per_row,
    )
    return sa.and_(channel, ~gone)


def hidden_author(author_id: Any, *, per_row: bool = False) -> Any:
    """SQL: the comment's author chose to hide their comments from the web."""
    return exists_of(
        MEMBERS, MEMBERS.c.user_id == author_id, MEMBERS.c.hidden.is_(True), per_row=per_row
    )


def exists_of(source: Any, *where: Any, per_row: bool = False) -> Any:
    """SQL EXISTS of the rows of `source` where `where`. `per_row`: checked by a lookup per
    row of the outer query (OFFSET 0 keeps PostgreSQL from turning it into a join), for a
    statement checking a few rows whose plan is generic: with guessed row counts the join
    became a scan of every thread for each row (storage.search.discussions)."""
    select: Any = sa.select(sa.literal_column("1")).select_from(source).where(*where)
    # The 0 written into the statement, not bound: a search statement has ~25 of these.
    return (select.offset(sa.literal_column("0", sa.Integer())) if per_row else select).exists()


async def hidden_members(session: AsyncSession, user_ids: Sequence[int | None]) -> set[int]:
    ids = sorted({u for u in user_ids if u is not None})
    hidden: set[int] = set()
    for i in range(0, len(ids), 900):
        rows = await run(
            session,
            sa.select(MEMBERS.c.user_id).where(
                MEMBERS.c.user_id.in_(ids[i : i + 900]), MEMBERS.c.hidden.is_(True)
            ),
        )
        hidden.update(row.user_id for row in rows)
    return hidden


async def public_threads_of(
    session: AsyncSession, summary_ids: Sequence[int] | None = None
) -> dict[int, int]:
    """summary id → its public thread (the newest posted one), for these summaries or all."""
    query = sa.select(PUBS.c.summary_id, PUBS.c.thread_id).where(
        PUBS.c.summary_id.is_not(None),
        PUBS.c.thread_id.is_not(None),
        public_thread(PUBS.c.thread_id),
    )
    if summary_ids is not None:
        if not summary_ids:
            return {}
        query = query.where(PUBS.c.summary_id.in_(list(summary_ids)))
    out: dict[int, int] = {}
    for row in await run(session, query.order_by(PUBS.c.id)):
        out[row.summary_id] = row.thread_id
    return out


# --- reads for the pages ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Activity:
    """A public thread's discussion, as a list shows it."""

    comments: int  # live comments, the starter excluded
    last_at: datetime | None  # newest comment or edit


async def activity(session: AsyncSession, thread_ids: Sequence[int]) -> dict[int, Activity]:
    if not thread_ids:
        return {}
    c = COMMENTS.c
    rows = await run(
        session,
        sa.select(
            c.thread_id,
            sa.func.count().label("n"),
            sa.func.max(c.created_at).label("created"),
            sa.func.max(c.edited_at).label("edited"),
        )
        .where(c.thread_id.in_(list(thread_ids)), c.deleted.is_(False), c.is_starter.is_(False))
        .group_by(c.thread_id),
    )
    out: dict[int, Activity] = {}
    for row in rows:
        stamps = [t for t in (as_utc(row.created), as_utc(row.edited)) if t is not None]
        out[row.thread_id] = Activity(int(row.n), max(stamps, default=None))
    return out


def as_utc(value: Any) -> datetime | None:
    """Aggregates bypass the UTCDateTime type on SQLite: they come back naive or as text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


async def numbered_issues(
    session: AsyncSession, *, limit: int | None = None, below: int | None = None
) -> list[Issue]:
    """Issues with a number, newest first (one row per number: a feed entry wins)."""
    query = sa.select(ISSUES).where(ISSUES.c.number.is_not(None))
    if below is not None:
        query = query.where(ISSUES.c.number < below)
    query = query.order_by(ISSUES.c.number.desc(), ISSUES.c.feed_id.is_(None), ISSUES.c.id)
    seen: set[int] = set()
    out: list[Issue] = []
    for row in await run(session, query):
        if row.number in seen:
            continue
        seen.add(row.number)
        out.append(Issue(**row._mapping))
        if limit is not None and len(out) >= limit:
            break
    return out


async def summary_counts(session: AsyncSession, issue_ids: Sequence[int]) -> dict[int, int]:
    if not issue_ids:
        return {}
    rows = await run(
        session,
        sa.select(SUMMARIES.c.issue_id, sa.func.count().label("n"))
        .where(SUMMARIES.c.issue_id.in_(list(issue_ids)))
        .group_by(SUMMARIES.c.issue_id),
    )
    return {row.issue_id: int(row.n) for row in rows}


@dataclass(frozen=True, slots=True)
class SummaryHead:
    """What lists and versions need of a summary (plain values: building 2,000 SQLModel rows
    cost seconds, most of a rebuild)."""

    id: int
    title: str
    content_hash: str | None
    updated_at: datetime | None
    issue_number: int


async def all_summaries(session: AsyncSession) -> list[SummaryHead]:
    """Every summary of a numbered issue, in issue order (for the build and the sitemap)."""
    s = SUMMARIES.c
    rows = await run(
        session,
        sa.select(s.id, s.title, s.content_hash, s.updated_at, ISSUES.c.number)
        .join(ISSUES, ISSUES.c.id == s.issue_id)
        .where(ISSUES.c.number.is_not(None))
        .order_by(ISSUES.c.number.desc(), s.position, s.id),
    )
    return [
        SummaryHead(r.id, r.title, r.content_hash, as_utc(r.updated_at), r.number) for r in rows
    ]


@dataclass(frozen=True, slots=True)
class ThreadVersion:
    """Everything a thread's page depends on, cheap to read for every thread at once: a build
    re-renders a page only when this (or the summary, or a hidden member) changed."""

    comments: int
    newest_id: int
    edited: str
    deleted: str
    votes: int


async def thread_versions(session: AsyncSession) -> dict[int, ThreadVersion]:
    """Public thread id → its version, in two grouped scans. The public rule is checked once
    per thread on the groups, not on every comment (it is a thread's property; per row it was
    three quarters of the scan)."""
    c = COMMENTS.c
    grouped = (
        sa.select(
            c.thread_id,
            sa.func.count().label("n"),
            sa.func.max(c.id).label("newest"),
            sa.func.max(c.edited_at).label("edited"),
            sa.func.max(c.deleted_at).label("deleted"),
        )
        .group_by(c.thread_id)
        .subquery()
    )
    rows = await run(session, sa.select(grouped).where(public_thread(grouped.c.thread_id)))
    voted = (
        sa.select(c.thread_id, sa.func.count().label("n"))
        .select_from(VOTES.join(COMMENTS, VOTES.c.comment_id == c.id))
        .group_by(c.thread_id)
        .subquery()
    )
    votes = {
        row.thread_id: int(row.n)
        for row in await run(session, sa.select(voted).where(public_thread(voted.c.thread_id)))
    }
    return {
        row.thread_id: ThreadVersion(
            int(row.n),
            int(row.newest or 0),
            str(as_utc(row.edited) or ""),
            str(as_utc(row.deleted) or ""),
            votes.get(row.thread_id, 0),
        )
        for row in rows
    }


async def hidden_version(session: AsyncSession) -> str:
    """Changes whenever a member hides or shows their comments (every page may show them)."""
    row: Any = (
        await run(
            session,
            sa.select(sa.func.count(), sa.func.max(MEMBERS.c.updated_at)).where(
                MEMBERS.c.hidden.is_(True)
            ),
        )
    ).one()
    return f"{row[0]}:{as_utc(row[1]) or ''}"


@dataclass(frozen=True, slots=True)
class RecentThread:
    summary_id: int
    title: str
    last_at: datetime


async def recent_discussions(session: AsyncSession, limit: int = 20) -> list[RecentThread]:
    """Public summary threads by their newest comment, newest first (home page, feed)."""
    c = COMMENTS.c
    latest = (
        sa.select(c.thread_id, sa.func.max(c.created_at).label("last_at"))
        .where(c.deleted.is_(False), c.is_starter.is_(False))
        .group_by(c.thread_id)
        .subquery()
    )
    rows = await run(
        session,
        sa.select(PUBS.c.summary_id, SUMMARIES.c.title, latest.c.last_at)
        .join(latest, latest.c.thread_id == PUBS.c.thread_id)
        .join(SUMMARIES, SUMMARIES.c.id == PUBS.c.summary_id)
        .where(public_thread(latest.c.thread_id))  # per thread, not per comment
        .order_by(latest.c.last_at.desc())
        .limit(limit),
    )
    out: list[RecentThread] = []
    seen: set[int] = set()
    for row in rows:
        stamp = as_utc(row.last_at)
        if row.summary_id in seen or stamp is None:
            continue
        seen.add(row.summary_id)
        out.append(RecentThread(row.summary_id, row.title, stamp))
    return out


def summary_version_on(connection: sa.Connection, summary_id: int) -> tuple[Any, ...] | None:
    row = connection.execute(_version_statement(), {"sid": summary_id}).first()
    return None if row is None else tuple(row)


@lru_cache(maxsize=1)
def _version_statement() -> Any:
    """Everything a summary page shows, as a version to compare (None: no such summary).

    One statement (Database.run_sync: one unit of work): the live server reads it on every
    request and re-renders only when it changed, so a comment mirrored a second ago is on the
    next load while an unchanged page costs no rendering. Each part is an indexed lookup:
    the summary by id, its newest public thread, that thread's comments and votes, the
    hidden members, the newest issue (cross references link to issues). Built once (building
    it cost 7 ms a request, ten times running it).
    """
    summary_id = sa.bindparam("sid", type_=sa.Integer())
    c = COMMENTS.c
    thread = (
        sa.select(PUBS.c.thread_id)
        .where(
            PUBS.c.summary_id == summary_id,
            PUBS.c.thread_id.is_not(None),
            public_thread(PUBS.c.thread_id),
        )
        .order_by(PUBS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    comments = (
        sa.select(
            sa.func.count().label("n"),
            sa.func.max(c.id).label("newest"),
            sa.func.max(c.edited_at).label("edited"),
            sa.func.max(c.deleted_at).label("deleted"),
        )
        .where(c.thread_id == thread)
        .subquery()
    )
    votes = (
        sa.select(sa.func.count())
        .select_from(VOTES.join(COMMENTS, VOTES.c.comment_id == c.id))
        .where(c.thread_id == thread)
        .scalar_subquery()
    )
    hidden = sa.and_(MEMBERS.c.hidden.is_(True))
    return (
        sa.select(
            SUMMARIES.c.updated_at,
            SUMMARIES.c.content_hash,
            SUMMARIES.c.title,
            thread.label("thread_id"),
            comments.c.n,
            comments.c.newest,
            comments.c.edited,
            comments.c.deleted,
            votes.label("votes"),
            sa.select(sa.func.max(ISSUES.c.id)).scalar_subquery().label("issues"),
            sa.select(sa.func.count()).where(hidden).scalar_subquery().label("hidden"),
            sa.select(sa.func.max(MEMBERS.c.updated_at)).where(hidden).scalar_subquery(),
        )
        .select_from(SUMMARIES.join(comments, sa.true(), isouter=True))
        .where(SUMMARIES.c.id == summary_id)
    )

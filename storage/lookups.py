"""Issue, summary and thread look-ups as SQLAlchemy Core statements over storage.tables: one
statement per question, run as rows on a connection (`anbot issue`, `anbot export`, which then
load no ORM or models) or as models through storage.issues and storage.threads
(`select(Model).from_statement(...)`, for the bot)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from storage.tables import DISCORD_THREAD, ISSUE, SUMMARY

__all__ = [
    "NUMBER_RANGE",
    "issue_by_number",
    "latest_issues",
    "number_span",
    "summaries_of",
    "thread_by_id",
]

# (lowest, highest) issue number stored; both NULL when no issue has a number.
NUMBER_RANGE: Any = sa.select(sa.func.min(ISSUE.c.number), sa.func.max(ISSUE.c.number))


def issue_by_number(number: int) -> sa.Select[Any]:
    """The issues with this number; a feed entry first (it wins over a database-only issue)."""
    return (
        sa.select(ISSUE)
        .where(ISSUE.c.number == number)
        .order_by(ISSUE.c.feed_id.is_(None), ISSUE.c.id)
    )


def latest_issues(limit: int) -> sa.Select[Any]:
    """Newest first: by number, then publication date."""
    return (
        sa.select(ISSUE)
        .order_by(
            ISSUE.c.number.desc().nulls_last(),
            ISSUE.c.published_at.desc().nulls_last(),
            ISSUE.c.id.desc(),
        )
        .limit(limit)
    )


def summaries_of(issue_id: int) -> sa.Select[Any]:
    """An issue's summaries in their order."""
    return (
        sa.select(SUMMARY)
        .where(SUMMARY.c.issue_id == issue_id)
        .order_by(SUMMARY.c.position, SUMMARY.c.id)
    )


def thread_by_id(thread_id: int) -> sa.Select[Any]:
    """The stored Discord thread with this id (none when it was never tracked)."""
    return sa.select(DISCORD_THREAD).where(DISCORD_THREAD.c.id == thread_id)


def number_span(row: Any) -> tuple[int, int] | None:
    """NUMBER_RANGE's row as (lowest, highest), or None when no issue has a number."""
    low, high = row
    if low is None or high is None:
        return None
    return int(low), int(high)

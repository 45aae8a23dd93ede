"""Discussion search: the public comments matching a query, newest first, with a cursor.

The query is storage.query's grammar (parse_query(text, discussions=True)): words, "phrases",
-excluded, `by:` the commenter's display name (exact), `in:` a thread (the summary's or
thread's id, or words of the summary title), `issue:56`. Matching folds case and accents as
summary search does (storage.search.text.fold; the filters through storage.search.filters).

Each backend has a full-text index of comments of its own (migration 0010): SQLite FTS5
`comment_fts` (the porter tokenizer of summary_fts), walked newest first by rowid, the LIMIT
stopping the walk; PostgreSQL `comment.search_keys`, keyed as summary.search_keys and walked
newest first window by window by storage.search.postgres (GIN cannot give the newest first).
Words reach the index as quoted FTS5 strings (storage.search.sqlite.fts5_phrase) or bound
values turned into a tsquery by anbot_search_query, never as syntax.

Only what the web may show is searched (storage.web_archive.public_thread): comments of public,
published, live threads with a summary page, not tombstones, not by members who hid their
comments. Hits come newest first; the cursor is the last hit's id (`before`), so a page's URL
shows the same hits tomorrow plus nothing older moved in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY

from storage.db import Database
from storage.search.filters import folded_equals, folded_like
from storage.search.keys import COMMENT_LEVELS
from storage.search.postgres import first_window, key_params, walk
from storage.search.postgres import tsquery as pg_tsquery
from storage.search.query import SearchQuery
from storage.search.relevance import Matcher, lead, snippet
from storage.search.sqlite import fts5_phrase
from storage.search.text import fold, folded_words, words
from storage.web_archive import (
    COMMENTS,
    ISSUES,
    PUBS,
    SUMMARIES,
    as_utc,
    hidden_author,
    public_thread,
)

__all__ = ["DiscussionHit", "DiscussionPage", "search_discussions", "search_discussions_on"]

MAX_PAGE = 50


@dataclass(frozen=True, slots=True)
class DiscussionHit:
    comment_id: int
    thread_id: int
    summary_id: int
    summary_title: str
    author_name: str
    created_at: datetime
    snippet: str  # matches in **bold** (storage.search.relevance.snippet)


@dataclass(frozen=True, slots=True)
class DiscussionPage:
    hits: list[DiscussionHit]
    next_before: int | None  # cursor of the next (older) page; None on the last page


async def search_discussions(
    db: Database, query: SearchQuery, *, limit: int = 20, before: int | None = None
) -> DiscussionPage:
    """Public comments matching `query`, newest first, older than the `before` cursor."""
    return await db.run_sync(
        search_discussions_on, query, limit=limit, before=before, snapshot=False
    )


def search_discussions_on(
    connection: sa.Connection, query: SearchQuery, *, limit: int = 20, before: int | None = None
) -> DiscussionPage:
    """`search_discussions` on a synchronous connection."""
    limit = max(1, min(limit, MAX_PAGE))
    c = COMMENTS.c
    where: list[Any] = [
        c.deleted.is_(False),
        c.is_starter.is_(False),
        public_thread(c.thread_id),
        ~hidden_author(c.author_id),
        sa.exists().where(PUBS.c.thread_id == c.thread_id, PUBS.c.summary_id.is_not(None)),
        *_filters(query),
    ]
    if connection.dialect.name == "postgresql" and _keyed(query):
        ids = _newest_postgres(connection, query, where, limit + 1, before)
    else:
        if before is not None:
            where.append(c.id < before)
        source: Any = COMMENTS
        newest_first: Any = c.id.desc()
        match = fts5_match(query) if connection.dialect.name == "sqlite" else None
        if match is not None:
            fts = sa.table("comment_fts", sa.column("rowid", sa.BigInteger))
            source = COMMENTS.join(fts, fts.c.rowid == c.id)
            where.append(sa.literal_column("comment_fts").op("MATCH")(match))
            # FTS5 hands out rowids in this order itself and the LIMIT stops the walk; ordering
            # by comment.id instead sorted every match first (seconds for a common word).
            newest_first = fts.c.rowid.desc()
        statement = sa.select(c.id).select_from(source).where(*where).order_by(newest_first)
        ids = [row.id for row in connection.execute(statement.limit(limit + 1))]
    more = len(ids) > limit
    ids = ids[:limit]
    return DiscussionPage(_load(connection, ids, query), ids[-1] if more and ids else None)


def _keyed(query: SearchQuery) -> bool:
    """Whether the index can find the query's rows: it has words, or a by: with words."""
    return query.has_text or bool(query.summarizer and words(query.summarizer))


def fts5_match(query: SearchQuery) -> str | None:
    """The FTS5 MATCH text, or None when the index has nothing to look up: every word and phrase
    quoted, ANDed, exclusions NOTed, all in the content column; `by:` as the author column's
    term (the name folded without spaces, as migration 0010 indexes it; the SQL filter still
    decides exactly)."""
    parts = [fts5_phrase(t) for t in (*query.terms, *query.phrases) if words(t)]
    expression = "{content} : (" + " AND ".join(parts) + ")" if parts else ""
    excluded = [fts5_phrase(t) for t in query.excluded if words(t)]
    if parts and excluded:
        expression = f"{expression} NOT {{content}} : ({' OR '.join(excluded)})"
    if query.summarizer and words(query.summarizer):
        author = "{author} : " + fts5_phrase(fold(query.summarizer).replace(" ", ""))
        expression = f"{expression} AND {author}" if expression else author
    return expression or None


# PostgreSQL: comment.search_keys (migration 0010) is keyed as summary.search_keys, so the
# query's tsquery is summary search's (storage.search.postgres.tsquery: words, pair phrases,
# exclusions, by: as the tagged words of the summarizer filter) and the newest matches come
# from the same window walk, over the comment ids' blocks (COMMENT_LEVELS).
_KEYS: Any = sa.literal_column("comment.search_keys")


def _newest_postgres(
    connection: sa.Connection, query: SearchQuery, where: list[Any], need: int, before: int | None
) -> list[int]:
    """The ids of the newest `need` rows matching the query and `where`, below `before`."""
    c = COMMENTS.c
    top = sa.select(sa.func.max(c.id))
    if before is not None:
        top = top.where(c.id < before)
    start = sa.select(
        sa.cast(pg_tsquery(key_params(query)), sa.Text()).label("base"),
        top.scalar_subquery().label("top"),
    ).subquery("start")

    def matching(tsquery: Any) -> Any:
        keys = _KEYS.op("@@", return_type=sa.Boolean)(tsquery)
        return sa.select(c.id).select_from(COMMENTS).where(keys, *where)

    first = connection.execute(first_window(start, matching, COMMENT_LEVELS)).all()
    base, top_id = first[0][0], first[0][1]
    if base is None or top_id is None:
        return []
    base_query: Any = sa.cast(sa.literal(base, sa.Text()), TSQUERY)
    # The cursor is checked here: the blocks of the first window can hold ids above it, and
    # `id < before` in the statements would let the planner AND a primary key range into the
    # bitmap (storage.search.postgres.walk).
    below = top_id + 1

    def fetch(window: str | None) -> Sequence[Any]:
        tsquery = base_query
        if window is not None:
            block_query = sa.cast(sa.literal(window, sa.Text()), TSQUERY)
            tsquery = tsquery.op("&&", return_type=TSQUERY)(block_query)
        return [row for row in connection.execute(matching(tsquery)) if row[0] < below]

    found = [row[2:] for row in first if row[2] is not None and row[2] < below]
    return [row[0] for row in walk(found, top_id, need, COMMENT_LEVELS, fetch)][:need]


def _filters(query: SearchQuery) -> list[Any]:
    c = COMMENTS.c
    out: list[Any] = []
    if query.summarizer:  # by: is the commenter here
        out.append(folded_equals(c.author_name, query.summarizer))
    if query.issue is not None:
        out.append(
            c.thread_id.in_(
                sa.select(PUBS.c.thread_id)
                .join(SUMMARIES, SUMMARIES.c.id == PUBS.c.summary_id)
                .join(ISSUES, ISSUES.c.id == SUMMARIES.c.issue_id)
                .where(ISSUES.c.number == query.issue, PUBS.c.thread_id.is_not(None))
            )
        )
    if query.thread:
        text = query.thread.strip()
        if text.isdigit() and len(text) < 20:
            number = int(text)
            by_summary = sa.select(PUBS.c.thread_id).where(
                PUBS.c.summary_id == number, PUBS.c.thread_id.is_not(None)
            )
            out.append(sa.or_(c.thread_id == number, c.thread_id.in_(by_summary)))
        else:
            pattern = "%" + "%".join(folded_words(text)) + "%"
            out.append(
                c.thread_id.in_(
                    sa.select(PUBS.c.thread_id)
                    .join(SUMMARIES, SUMMARIES.c.id == PUBS.c.summary_id)
                    .where(folded_like(SUMMARIES.c.title, pattern))
                    .where(PUBS.c.thread_id.is_not(None))
                )
            )
    return out


def _load(connection: sa.Connection, ids: list[int], query: SearchQuery) -> list[DiscussionHit]:
    if not ids:
        return []
    c = COMMENTS.c
    rows = connection.execute(
        sa.select(
            c.id,
            c.thread_id,
            c.author_name,
            c.content,
            c.created_at,
            PUBS.c.summary_id,
            SUMMARIES.c.title,
        )
        .join(PUBS, PUBS.c.thread_id == c.thread_id)
        .join(SUMMARIES, SUMMARIES.c.id == PUBS.c.summary_id)
        .where(c.id.in_(ids))
        .order_by(PUBS.c.id)
    )
    found: dict[int, Any] = {row.id: row for row in rows}
    matcher = Matcher.for_query(query) if query.has_text else None
    hits: list[DiscussionHit] = []
    for id_ in ids:
        row = found.get(id_)
        if row is None:
            continue
        text = row.content or ""
        created = as_utc(row.created_at)
        assert created is not None
        hits.append(
            DiscussionHit(
                comment_id=row.id,
                thread_id=row.thread_id,
                summary_id=row.summary_id,
                summary_title=row.title,
                author_name=row.author_name or "someone",
                created_at=created,
                snippet=snippet(text, matcher) if matcher else lead(text),
            )
        )
    return hits

"""Discussion search: the public comments matching a query, newest first, with a cursor.

The query is storage.query's grammar (parse_query(text, discussions=True)): words, "phrases",
-excluded, `by:` the commenter's display name (exact, case-insensitive), `in:` a thread (the
summary's or thread's id, or words of the summary title), `issue:56`.

Each backend has a full-text index of comments of its own (migration 0010): SQLite FTS5
`comment_fts` (the porter tokenizer of summary_fts), PostgreSQL `comment.search_vector` (the
anbot_words configuration of summary search, GIN). Words reach the index as quoted FTS5 strings
(storage.search.sqlite.fts5_phrase) or bound tsquery text, never as syntax.

Only what the web may show is searched (storage.web_archive.public_thread): comments of public,
published, live threads with a summary page, not tombstones, not by members who hid their
comments. Hits come newest first; the cursor is the last hit's id (`before`), so a page's URL
shows the same hits tomorrow plus nothing older moved in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from storage.db import Database
from storage.search.query import SearchQuery
from storage.search.relevance import Matcher, lead, snippet
from storage.search.sqlite import fts5_phrase
from storage.search.text import words
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
    postgres = connection.dialect.name == "postgresql"
    c = COMMENTS.c
    where: list[Any] = [
        c.deleted.is_(False),
        c.is_starter.is_(False),
        public_thread(c.thread_id),
        ~hidden_author(c.author_id),
        sa.exists().where(PUBS.c.thread_id == c.thread_id, PUBS.c.summary_id.is_not(None)),
    ]
    if before is not None:
        where.append(c.id < before)
    where += _filters(query)
    source: Any = COMMENTS
    newest_first: Any = c.id.desc()
    if query.has_text:
        if postgres:
            where.append(sa.literal_column("comment.search_vector").op("@@")(_tsquery(query)))
        else:
            fts = sa.table("comment_fts", sa.column("rowid", sa.BigInteger))
            source = COMMENTS.join(fts, fts.c.rowid == c.id)
            where.append(sa.literal_column("comment_fts").op("MATCH")(fts5_match(query)))
            # FTS5 hands out rowids in this order itself and the LIMIT stops the walk; ordering
            # by comment.id instead sorted every match first (seconds for a common word).
            newest_first = fts.c.rowid.desc()
    ids = [
        row.id
        for row in connection.execute(
            sa.select(c.id)
            .select_from(source)
            .where(*where)
            .order_by(newest_first)
            .limit(limit + 1)
        )
    ]
    more = len(ids) > limit
    ids = ids[:limit]
    return DiscussionPage(_load(connection, ids, query), ids[-1] if more and ids else None)


def fts5_match(query: SearchQuery) -> str:
    """The FTS5 MATCH text: every word and phrase quoted, ANDed, exclusions NOTed, all in the
    content column; `by:` as the author column's term (the name without spaces, as migration
    0010 indexes it; the SQL filter still decides exactly)."""
    parts = [fts5_phrase(t) for t in (*query.terms, *query.phrases) if words(t)]
    expression = "{content} : (" + " AND ".join(parts) + ")"
    excluded = [fts5_phrase(t) for t in query.excluded if words(t)]
    if excluded:
        expression = f"{expression} NOT {{content}} : ({' OR '.join(excluded)})"
    if query.summarizer and words(query.summarizer):
        author = query.summarizer.replace(" ", "")
        expression = f"{expression} AND {{author}} : {fts5_phrase(author)}"
    return expression


def _tsquery(query: SearchQuery) -> Any:
    """AND of phraseto_tsquery per word or phrase, minus the exclusions (values bound)."""
    config: Any = sa.literal_column("'anbot_words'::regconfig")

    def part(text: str) -> Any:
        return sa.func.phraseto_tsquery(config, sa.bindparam(None, text, type_=sa.String()))

    wanted = [part(t) for t in (*query.terms, *query.phrases) if words(t)]
    result = wanted[0]
    for more in wanted[1:]:
        result = sa.func.tsquery_and(result, more)
    for text in query.excluded:
        if words(text):
            result = sa.func.tsquery_and(result, sa.func.tsquery_not(part(text)))
    return result


def _filters(query: SearchQuery) -> list[Any]:
    c = COMMENTS.c
    out: list[Any] = []
    if query.summarizer:  # by: is the commenter here
        out.append(sa.func.lower(c.author_name) == query.summarizer.lower())
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
            pattern = "%" + "%".join(words(text.lower())) + "%"
            out.append(
                c.thread_id.in_(
                    sa.select(PUBS.c.thread_id)
                    .join(SUMMARIES, SUMMARIES.c.id == PUBS.c.summary_id)
                    .where(sa.func.lower(SUMMARIES.c.title).like(pattern))
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

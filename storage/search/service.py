"""Summary search behind one function: SQLite FTS5 or PostgreSQL tsvector finds, Python orders.

The full-text expression is built from the words of a parsed SearchQuery, every word quoted,
so user input can never produce a full-text syntax error; filter values are bound parameters
with LIKE wildcards escaped.

Work is bounded by design (measured at 100k summaries, see bench/bench_search.py):
- one index walk takes the newest CANDIDATES + 1 matches, newest first, and stops there: the
  count is exact up to CANDIDATES, then "CANDIDATES+" (`total_is_estimate`);
- the candidates are ordered by storage.search.relevance from their titles and people (title matches
  first, then author/summarizer matches, newest first within each): a database rank (bm25,
  ts_rank) costs milliseconds per common word whatever the number of matches;
- pages past the candidates continue newest first, so paging still reaches every match;
- the snippet is cut from the shown rows' text in Python, not by the database.
Filters (author:, by:, section:) are also handed to the index (storage.search.sqlite /
storage.search.postgres), so a selective filter does not mean checking every row of a common
word.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

import sqlalchemy as sa

from storage.search import sqlite
from storage.search.filters import filter_conditions
from storage.search.query import SearchQuery
from storage.search.relevance import Matcher, lead, order, snippet
from storage.tables import ISSUE, SUMMARY, SummaryRow

if TYPE_CHECKING:  # storage.db calls storage.search.index: no import at run time, no circle
    from storage.db import Database

__all__ = ["CANDIDATES", "SearchHit", "SearchPage", "search_on", "search_summaries"]

CANDIDATES = 200


@dataclass(slots=True)
class SearchHit:
    summary: SummaryRow  # the row as read (a summary's columns by name), not a model
    issue_label: str | None
    rank: float  # higher is better (storage.search.relevance.order); 0.0 for a text-only match
    snippet: str  # a short excerpt, matches in **bold** when there were words to match
    issue_number: int | None = None


@dataclass(slots=True)
class SearchPage:
    total: int  # exact, or a lower bound when total_is_estimate
    hits: list[SearchHit]
    total_is_estimate: bool = False  # more than `total` summaries match
    ranked: bool = True  # every match was ordered by relevance (else the newest CANDIDATES were)

    @property
    def total_text(self) -> str:
        """`total` for people: "12", or "200+" when it is a lower bound."""
        return f"{self.total:,}+" if self.total_is_estimate else f"{self.total:,}"


async def search_summaries(
    db: Database, query: SearchQuery, *, limit: int = 5, offset: int = 0
) -> SearchPage:
    """Summaries matching `query`, best first (filter-only: newest issue first).

    The statements of a search run as one unit (Database.run_sync): on SQLite that is one
    worker-thread hop instead of several per statement, most of a fast search's cost. They
    need no single snapshot: a row deleted between the index walk and the page load is left
    out (_load), a row added meanwhile may show on a later page.
    """
    return await db.run_sync(search_on, query, limit=limit, offset=offset, snapshot=False)


def search_on(
    connection: sa.Connection, query: SearchQuery, *, limit: int = 5, offset: int = 0
) -> SearchPage:
    """`search_summaries` on a synchronous connection, inside its transaction."""
    backend = _backend(connection)
    if not query.has_text:
        return _filter_only(connection, backend, query, limit=limit, offset=offset)
    found = backend.newest(connection, query, limit=CANDIDATES + 1)
    estimate = len(found) > CANDIDATES
    candidates = found[:CANDIDATES]
    matcher = Matcher.for_query(query)
    ranked = order(candidates, matcher)
    scores = dict(ranked)
    page_ids = [id_ for id_, _ in ranked[offset : offset + limit]]
    if estimate and offset + limit > CANDIDATES:  # past the candidates: newest first
        skip = max(offset, CANDIDATES)
        more = backend.newest(connection, query, limit=offset + limit - skip, offset=skip)
        page_ids += [head[0] for head in more]
    hits = _load(connection, page_ids, scores, matcher)
    return SearchPage(
        total=len(candidates), hits=hits, total_is_estimate=estimate, ranked=not estimate
    )


# Built once: constructing a select costs about half a millisecond. Core rows, not models:
# a one-shot search then loads neither the ORM nor SQLModel (storage.tables).
_IDS: Any = sa.bindparam("ids", expanding=True)
_ISSUE_HEADS = (ISSUE.c.label.label("issue_label"), ISSUE.c.number.label("issue_number"))
_JOINED: Any = SUMMARY.join(ISSUE, SUMMARY.c.issue_id == ISSUE.c.id, isouter=True)
_PAGE: Any = sa.select(SUMMARY, *_ISSUE_HEADS).select_from(_JOINED).where(SUMMARY.c.id.in_(_IDS))


def _hit(row: sa.Row[Any], *, rank: float, snippet: str) -> SearchHit:
    return SearchHit(
        summary=cast(SummaryRow, row),
        issue_label=row.issue_label,
        issue_number=row.issue_number,
        rank=rank,
        snippet=snippet,
    )


def _load(
    connection: sa.Connection, ids: list[int], scores: dict[int, float], matcher: Matcher
) -> list[SearchHit]:
    if not ids:
        return []
    rows = {row.id: row for row in connection.execute(_PAGE, {"ids": ids})}
    return [
        _hit(row, rank=scores.get(id_, 0.0), snippet=snippet(row.summary, matcher))
        for id_ in ids
        if (row := rows.get(id_)) is not None  # None: deleted between the index walk and now
    ]


def _filter_only(
    connection: sa.Connection,
    backend: _Backend,
    query: SearchQuery,
    *,
    limit: int,
    offset: int,
) -> SearchPage:
    """Filters without words: newest issue first, in issue order.

    The count stays exact here: ordering by issue already visits every filtered row, so a
    capped count would save nothing. The full-text index narrows the rows first.
    """
    where = [*backend.filter_index(query), *filter_conditions(query)]
    if query.issue is not None:
        where.append(ISSUE.c.number == query.issue)

    def from_(select: Any) -> Any:
        return select.select_from(_JOINED).where(*where)

    counted = from_(sa.select(sa.func.count(SUMMARY.c.id)))
    total = connection.execute(counted).scalar_one()
    if offset >= total:
        return SearchPage(total=total, hits=[], ranked=False)
    newest_issue_first = [
        ISSUE.c.number.desc().nulls_last(),
        SUMMARY.c.issue_id.desc(),
        SUMMARY.c.position,
        SUMMARY.c.id,
    ]
    page = from_(sa.select(SUMMARY, *_ISSUE_HEADS))
    rows = connection.execute(page.order_by(*newest_issue_first).limit(limit).offset(offset))
    hits = [_hit(row, rank=0.0, snippet=lead(row.summary)) for row in rows]
    return SearchPage(total=total, hits=hits, ranked=False)


class _Backend(Protocol):
    """What each backend module (storage.search.sqlite, storage.search.postgres) answers."""

    def newest(
        self, connection: sa.Connection, query: SearchQuery, *, limit: int, offset: int = 0
    ) -> list[Any]:
        """(id, title, authors, summarizer) of matches that pass the filters, newest first:
        the heads storage.search.relevance.order works from, read in the same walk."""
        ...

    def filter_index(self, query: SearchQuery) -> list[Any]:
        """Conditions that let the full-text index narrow a filter-only query's rows."""
        ...


def _backend(connection: sa.Connection) -> _Backend:
    if connection.dialect.name == "postgresql":
        # Imported here, not at the top: its SQLAlchemy PostgreSQL dialect is 0.1-0.15 s
        # of every `anbot search` process start, for nothing on SQLite.
        from storage.search import postgres

        return postgres
    return sqlite

"""Ranked summary search behind one function: SQLite FTS5 (bm25) or PostgreSQL tsvector.

The full-text expression is built from the words of a parsed SearchQuery, every word quoted,
so user input can never produce a full-text syntax error; filter values are bound parameters
with LIKE wildcards escaped.

Work is bounded by design (the index walks are cheap, ranking every match is not):
- the count is exact up to COUNT_CAP matches, then "COUNT_CAP+" (`total_is_estimate`);
- up to RANK_LIMIT matches are ranked by relevance (bm25 / ts_rank, title weighted first);
- a broader query lists title matches first, then the other matches, newest first in each
  tier (`ranked` is False): ranking 30k matches of a common word costs 50-150 ms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import search_postgres as pg
from storage import search_sqlite as lite
from storage.models import Issue, Summary
from storage.query import SearchQuery
from storage.search_sqlite import fts5_expression, fts5_phrase

__all__ = [
    "COUNT_CAP",
    "RANK_LIMIT",
    "SearchHit",
    "SearchPage",
    "fts5_expression",
    "fts5_phrase",
    "search_summaries",
]

COUNT_CAP = 1000
RANK_LIMIT = 200
SNIPPET_WORDS = lite.SNIPPET_WORDS


@dataclass(slots=True)
class SearchHit:
    summary: Summary
    issue_label: str | None
    rank: float  # higher is better; 0.0 when not ranked (filter-only or broad query)
    snippet: str  # a short excerpt, matches in **bold** when there were words to match
    issue_number: int | None = None


@dataclass(slots=True)
class SearchPage:
    total: int  # exact, or a lower bound when total_is_estimate
    hits: list[SearchHit]
    total_is_estimate: bool = False  # more than `total` summaries match
    ranked: bool = True  # hits are in relevance order (else title matches first, newest first)

    @property
    def total_text(self) -> str:
        """`total` for people: "12", or "1,000+" when it is a lower bound."""
        return f"{self.total:,}+" if self.total_is_estimate else f"{self.total:,}"


def filter_conditions(query: SearchQuery) -> list[Any]:
    """Conditions on summary columns (the issue filter is applied by id, see the backends)."""
    conditions: list[Any] = []
    if query.section:
        conditions.append(col(Summary.section).icontains(query.section, autoescape=True))
    if query.author:
        conditions.append(col(Summary.authors).icontains(query.author, autoescape=True))
    if query.summarizer:
        conditions.append(sa.func.lower(Summary.summarizer) == query.summarizer.lower())
    return conditions


async def search_summaries(
    session: AsyncSession, query: SearchQuery, *, limit: int = 5, offset: int = 0
) -> SearchPage:
    """Summaries matching `query`, best first (filter-only: newest issue first)."""
    connection = await session.connection()
    postgres = connection.dialect.name == "postgresql"
    searcher = _Postgres(connection) if postgres else _Sqlite(connection)
    if not query.has_text:
        return await _filter_only(session, query, limit=limit, offset=offset)
    found = await searcher.count(query, "all", cap=COUNT_CAP + 1)
    if not found and await searcher.only_stopwords(query):
        return await _stopword_scan(session, searcher, query, limit=limit, offset=offset)
    estimate = found > COUNT_CAP
    total = min(found, COUNT_CAP)
    if offset >= total and not estimate:
        return SearchPage(total=total, hits=[], total_is_estimate=estimate)
    ranks: dict[int, float] = {}
    if found <= RANK_LIMIT:
        ranks = await searcher.ranked(query, limit=limit, offset=offset)
        page_ids = list(ranks)
    else:
        page_ids = await _tiered(searcher, query, limit=limit, offset=offset)
    hits = await _load(session, searcher, query, page_ids, ranks)
    return SearchPage(total=total, hits=hits, total_is_estimate=estimate, ranked=bool(ranks))


async def _tiered(searcher: _Searcher, query: SearchQuery, *, limit: int, offset: int) -> list[int]:
    """A page of a broad query: title matches newest first, then the rest newest first."""
    titles = await searcher.probe(query, "title", limit=offset + limit)
    page = titles[offset:]
    if len(titles) < offset + limit:  # the title tier is exhausted within this page
        rest_offset = max(0, offset - len(titles))
        page += await searcher.probe(query, "rest", limit=limit - len(page), offset=rest_offset)
    return page


async def _stopword_scan(
    session: AsyncSession, searcher: _Searcher, query: SearchQuery, *, limit: int, offset: int
) -> SearchPage:
    """Words the index leaves out (PostgreSQL stopwords): whole-word scan, newest first.

    Stopwords are common, so the newest-first scan stops early; the hits are not ranked.
    """
    found = await searcher.count(query, "words", cap=COUNT_CAP + 1)
    estimate = found > COUNT_CAP
    total = min(found, COUNT_CAP)
    page_ids = await searcher.probe(query, "words", limit=limit, offset=offset)
    hits = await _load(session, searcher, query, page_ids, {})
    return SearchPage(total=total, hits=hits, total_is_estimate=estimate, ranked=False)


async def _load(
    session: AsyncSession,
    searcher: _Searcher,
    query: SearchQuery,
    ids: list[int],
    ranks: dict[int, float],
) -> list[SearchHit]:
    if not ids:
        return []
    found = await session.exec(searcher.page(query, ids))
    rows = {row[0].id: row for row in found}
    hits: list[SearchHit] = []
    for id_ in ids:
        if id_ not in rows:  # deleted between the probe and now
            continue
        summary, label, number, snippet = rows[id_]
        hits.append(
            SearchHit(
                summary=summary,
                issue_label=label,
                issue_number=number,
                rank=ranks.get(id_, 0.0),
                snippet=snippet or _lead(summary.summary),
            )
        )
    return hits


async def _filter_only(
    session: AsyncSession, query: SearchQuery, *, limit: int, offset: int
) -> SearchPage:
    """Filters without words: newest issue first, in issue order.

    The count stays exact here: ordering by issue already visits every filtered row, so a
    capped count would save nothing.
    """
    where = [*filter_conditions(query)]
    if query.issue is not None:
        where.append(col(Issue.number) == query.issue)

    def from_(select: Any) -> Any:
        return select.join(Issue, col(Summary.issue_id) == Issue.id, isouter=True).where(*where)

    connection = await session.connection()
    counted = from_(sa.select(sa.func.count(col(Summary.id))))
    total = (await connection.execute(counted)).scalar_one()
    if offset >= total:
        return SearchPage(total=total, hits=[], ranked=False)
    order = [
        col(Issue.number).desc().nulls_last(),
        col(Summary.issue_id).desc(),
        col(Summary.position),
        col(Summary.id),
    ]
    page = from_(sa.select(Summary, col(Issue.label), col(Issue.number)))
    rows = (await session.exec(page.order_by(*order).limit(limit).offset(offset))).all()
    hits = [
        SearchHit(
            summary=summary,
            issue_label=label,
            issue_number=number,
            rank=0.0,
            snippet=_lead(summary.summary),
        )
        for summary, label, number in rows
    ]
    return SearchPage(total=total, hits=hits, ranked=False)


def _lead(text: str) -> str:
    """First words of a summary: the snippet when nothing was matched."""
    parts = text.split()
    lead = " ".join(parts[:SNIPPET_WORDS])
    return lead + (" …" if len(parts) > SNIPPET_WORDS else "")


class _Searcher:
    """The four questions a backend answers, each one statement."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def probe(
        self, query: SearchQuery, tier: str, *, limit: int, offset: int = 0
    ) -> list[int]:
        raise NotImplementedError

    async def ranked(self, query: SearchQuery, *, limit: int, offset: int) -> dict[int, float]:
        """One page of {id: relevance}, best first (dicts keep insertion order)."""
        raise NotImplementedError

    async def count(self, query: SearchQuery, tier: str, *, cap: int) -> int:
        """How many match, counting no further than `cap`."""
        raise NotImplementedError

    def page(self, query: SearchQuery, ids: list[int]) -> Any:
        """SELECT Summary, issue label, issue number, snippet for the rows of one page."""
        raise NotImplementedError

    async def only_stopwords(self, query: SearchQuery) -> bool:
        """True when the index cannot hold any of the words (so a scan must look for them)."""
        return False

    async def _pairs(self, statement: Any, **params: Any) -> dict[int, Any]:
        result = await self.connection.execute(statement, params)
        return {int(key): value for key, value in result}


class _Sqlite(_Searcher):
    async def probe(
        self, query: SearchQuery, tier: str, *, limit: int, offset: int = 0
    ) -> list[int]:
        if limit <= 0:
            return []
        expression = lite.tier_expression(query, tier)
        if expression is None:
            return []
        select = lite.probe(query, expression, filter_conditions(query), limit=limit, offset=offset)
        return list((await self.connection.execute(select)).scalars())

    async def ranked(self, query: SearchQuery, *, limit: int, offset: int) -> dict[int, float]:
        expression = lite.tier_expression(query, "all") or ""
        select = lite.ranked(
            query, expression, filter_conditions(query), limit=limit, offset=offset
        )
        pairs = await self._pairs(select)
        return {key: float(value) for key, value in pairs.items()}

    async def count(self, query: SearchQuery, tier: str, *, cap: int) -> int:
        expression = lite.tier_expression(query, tier)
        if expression is None:
            return 0
        rows = lite.matching(query, expression, filter_conditions(query)).limit(cap).subquery()
        counted = sa.select(sa.func.count()).select_from(rows)
        return int((await self.connection.execute(counted)).scalar_one())

    def page(self, query: SearchQuery, ids: list[int]) -> Any:
        return lite.page(lite.tier_expression(query, "all") or "", ids)


class _Postgres(_Searcher):
    async def probe(
        self, query: SearchQuery, tier: str, *, limit: int, offset: int = 0
    ) -> list[int]:
        if limit <= 0 or pg.tsquery(query.terms, query.phrases) is None:
            return []
        select = pg.probe(query, tier, filter_conditions(query), limit=limit, offset=offset)
        return list((await self.connection.execute(select)).scalars())

    async def ranked(self, query: SearchQuery, *, limit: int, offset: int) -> dict[int, float]:
        pairs = await self._pairs(
            pg.ranked(query, filter_conditions(query), limit=limit, offset=offset)
        )
        return {key: float(value) for key, value in pairs.items()}

    async def count(self, query: SearchQuery, tier: str, *, cap: int) -> int:
        if pg.tsquery(query.terms, query.phrases) is None:
            return 0
        # No ORDER BY: the scan may stop at `cap` rows in whatever order it finds them.
        rows = pg.matching(query, tier, filter_conditions(query)).limit(cap).subquery()
        counted = sa.select(sa.func.count()).select_from(rows)
        return int((await self.connection.execute(counted)).scalar_one())

    def page(self, query: SearchQuery, ids: list[int]) -> Any:
        return pg.page(query, ids)

    async def only_stopwords(self, query: SearchQuery) -> bool:
        if pg.tsquery(query.terms, query.phrases) is None:
            return False
        return bool((await self.connection.execute(pg.only_stopwords(query))).scalar_one())

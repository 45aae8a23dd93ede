"""Ranked summary search behind one function: SQLite FTS5 (bm25) or PostgreSQL tsvector.

The full-text expression is built here from the words of a parsed SearchQuery, every word
quoted, so user input can never produce a full-text syntax error; filter values are bound
parameters with LIKE wildcards escaped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Issue, Summary
from storage.query import SearchQuery, words

SNIPPET_WORDS = 24
# bm25 column weights, in summary_fts column order: title, authors, summarizer, section,
# summary, opinions. Title matters most, then people, then the text.
_BM25_WEIGHTS = (10.0, 4.0, 4.0, 1.0, 1.5, 1.5)
_PG_CONFIG = "english"
_PG_HEADLINE = (
    f"StartSel=**, StopSel=**, MaxWords={SNIPPET_WORDS + 6}, MinWords=12, "
    "MaxFragments=1, FragmentDelimiter=' … '"
)


@dataclass(slots=True)
class SearchHit:
    summary: Summary
    issue_label: str | None
    rank: float  # higher is better; 0.0 for filter-only queries
    snippet: str  # a short excerpt, matches in **bold** when there were words to match
    issue_number: int | None = None


@dataclass(slots=True)
class SearchPage:
    total: int
    hits: list[SearchHit]


def fts5_phrase(text: str) -> str:
    """One FTS5 string token: the words of `text` inside double quotes (quotes doubled)."""
    return '"' + " ".join(words(text)).replace('"', '""') + '"'


def fts5_expression(query: SearchQuery) -> str | None:
    """Implicit-AND of quoted terms and phrases, or None when the query has no words."""
    parts = [fts5_phrase(t) for t in (*query.terms, *query.phrases) if words(t)]
    return " ".join(parts) or None


def _fts5_any(texts: list[str]) -> str | None:
    parts = [fts5_phrase(t) for t in texts if words(t)]
    return " OR ".join(parts) or None


@dataclass(slots=True)
class _Plan:
    """Dialect-specific pieces of one search: extra FROM, rank, snippet, conditions."""

    join: Any = None  # (table, on-clause) to join, for SQLite's FTS table
    rank: Any = None  # None for filter-only queries
    snippet: Any = None
    where: list[Any] = field(default_factory=list)


def _filters(query: SearchQuery) -> list[Any]:
    conditions: list[Any] = []
    if query.section:
        conditions.append(col(Summary.section).icontains(query.section, autoescape=True))
    if query.author:
        conditions.append(col(Summary.authors).icontains(query.author, autoescape=True))
    if query.summarizer:
        conditions.append(sa.func.lower(Summary.summarizer) == query.summarizer.lower())
    if query.issue is not None:
        conditions.append(Issue.number == query.issue)
    return conditions


async def search_summaries(
    session: AsyncSession, query: SearchQuery, *, limit: int = 5, offset: int = 0
) -> SearchPage:
    """Summaries matching `query`, best first (filter-only: newest issue first)."""
    connection = await session.connection()
    plan = _postgres(query) if connection.dialect.name == "postgresql" else _sqlite(query)
    where = [*plan.where, *_filters(query)]

    def from_(select: Any) -> Any:
        select = select.join(Issue, Summary.issue_id == Issue.id, isouter=True)
        if plan.join is not None:
            select = select.join(*plan.join)
        return select.where(*where)

    total = (
        await connection.execute(from_(sa.select(sa.func.count(col(Summary.id)))))
    ).scalar_one()
    if total == 0 or offset >= total:
        return SearchPage(total=total, hits=[])
    if plan.rank is not None:
        order: list[Any] = [sa.desc("rank"), col(Summary.id)]
        rank, snippet = plan.rank, plan.snippet
    else:
        order = [
            col(Issue.number).desc().nulls_last(),
            col(Summary.issue_id).desc(),
            col(Summary.position),
            col(Summary.id),
        ]
        rank, snippet = sa.literal(0.0), sa.null()
    page = from_(
        sa.select(
            Summary, col(Issue.label), col(Issue.number), rank.label("rank"), snippet.label("snip")
        )
    )
    rows = (await session.exec(page.order_by(*order).limit(limit).offset(offset))).all()
    hits = [
        SearchHit(
            summary=summary,
            issue_label=label,
            issue_number=number,
            rank=float(score or 0.0),
            snippet=snip or _lead(summary.summary),
        )
        for summary, label, number, score, snip in rows
    ]
    return SearchPage(total=total, hits=hits)


def _lead(text: str) -> str:
    """First words of a summary: the snippet when nothing was matched."""
    parts = text.split()
    lead = " ".join(parts[:SNIPPET_WORDS])
    return lead + (" …" if len(parts) > SNIPPET_WORDS else "")


_FTS = sa.table("summary_fts", sa.column("rowid", sa.Integer))
_FTS_NAME: Any = sa.literal_column("summary_fts")


def _fts_ids(expression: str, name: str) -> Any:
    """Subquery: ids of summaries whose text matches an FTS5 expression."""
    return (
        sa.select(_FTS.c.rowid)
        .select_from(_FTS)
        .where(_FTS_NAME.op("MATCH")(sa.bindparam(name, expression)))
    )


def _sqlite(query: SearchQuery) -> _Plan:
    plan = _Plan()
    expression = fts5_expression(query)
    if expression:
        plan.join = (_FTS, _FTS.c.rowid == Summary.id)
        plan.where.append(_FTS_NAME.op("MATCH")(sa.bindparam("fts", expression)))
        plan.rank = -sa.func.bm25(_FTS_NAME, *_BM25_WEIGHTS)
        plan.snippet = sa.func.snippet(_FTS_NAME, -1, "**", "**", "…", SNIPPET_WORDS)
    excluded = _fts5_any(query.excluded)
    if excluded:
        plan.where.append(col(Summary.id).not_in(_fts_ids(excluded, "fts_excluded")))
    return plan


_PG_REGCONFIG: Any = sa.literal_column(f"'{_PG_CONFIG}'::regconfig")
_PG_VECTOR: Any = sa.literal_column("summary.search_vector")


def _postgres(query: SearchQuery) -> _Plan:
    plan = _Plan()
    for text in query.excluded:
        excluded = _pg_tsquery([], [text])
        if excluded is not None:
            plan.where.append(sa.not_(_PG_VECTOR.op("@@")(excluded)))
    tsquery = _pg_tsquery(query.terms, query.phrases)
    if tsquery is not None:
        plan.where.append(_PG_VECTOR.op("@@")(tsquery))
        plan.rank = sa.func.ts_rank(_PG_VECTOR, tsquery)
        plan.snippet = sa.func.ts_headline(_PG_REGCONFIG, Summary.summary, tsquery, _PG_HEADLINE)
    return plan


def _pg_tsquery(terms: list[str], phrases: list[str]) -> Any:
    """plainto_tsquery(terms) && phraseto_tsquery(phrase) && …, or None without words."""
    parts: list[Any] = []
    plain = " ".join(" ".join(words(t)) for t in terms)
    if plain:
        parts.append(sa.func.plainto_tsquery(_PG_REGCONFIG, plain))
    for phrase in phrases:
        text = " ".join(words(phrase))
        if text:
            parts.append(sa.func.phraseto_tsquery(_PG_REGCONFIG, text))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op("&&")(part)
    return combined

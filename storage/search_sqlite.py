"""SQLite FTS5 pieces of summary search: id probes in rowid order, bm25 ranks, snippets.

Why the work is split this way (measured at 100k summaries): walking the FTS5 doclist in rowid
order and stopping after N ids costs well under a millisecond even for a word in half of the
rows, but bm25() first counts every row holding each phrase (its IDF) and reads each row's
column sizes, so ranking all 30k matches of a common word costs 50–150 ms. Hence: probe ids
cheaply, rank only a small set, and build snippets only for the rows shown.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from storage.models import Issue, Summary
from storage.query import SearchQuery, words

# bm25 column weights, in summary_fts column order: title, authors, summarizer, section,
# summary, opinions. Title matters most, then people, then the text.
BM25_WEIGHTS = (10.0, 4.0, 4.0, 1.0, 1.5, 1.5)
SNIPPET_WORDS = 24

_FTS = sa.table("summary_fts", sa.column("rowid", sa.Integer))
_FTS_NAME: Any = sa.literal_column("summary_fts")
_SUMMARY: sa.Table = Summary.__table__  # type: ignore[attr-defined]


def fts5_phrase(text: str) -> str:
    """One FTS5 string token: the words of `text` inside double quotes (quotes doubled)."""
    return '"' + " ".join(words(text)).replace('"', '""') + '"'


def fts5_expression(query: SearchQuery) -> str | None:
    """Implicit-AND of quoted terms and phrases, or None when the query has no words."""
    parts = [fts5_phrase(t) for t in (*query.terms, *query.phrases) if words(t)]
    return " ".join(parts) or None


def tier_expression(query: SearchQuery, tier: str) -> str | None:
    """The MATCH text for one tier: "all" matches, "title" matches, or the "rest".

    Exclusions become FTS5 NOT clauses, so the index drops them while it walks the doclist
    instead of a second pass materialising every excluded row.
    """
    base = fts5_expression(query)
    if base is None:
        return None
    if tier == "title":
        expression = f"{{title}} : ({base})"
    elif tier == "rest":
        expression = f"({base}) NOT ({{title}} : ({base}))"
    else:
        expression = f"({base})"
    excluded = [fts5_phrase(t) for t in query.excluded if words(t)]
    if excluded:
        expression = f"{expression} NOT ({' OR '.join(excluded)})"
    return expression


def _select(columns: list[Any], query: SearchQuery, expression: str, filters: list[Any]) -> Any:
    """SELECT columns FROM summary_fts [JOIN summary] WHERE it matches and passes the filters.

    The other filters need the summary row, joined by id. The issue filter is its ids: a
    plain `rowid IN (…)` would make FTS5 restart the match (and bm25 its whole-table phrase
    count) once per id, so FTS5 gets the ids' range, which it walks, and `+rowid IN` (hidden
    from FTS5) checks each row of that range. One issue's summaries sit next to each other.
    """
    rowid = _FTS.c.rowid
    source: Any = _FTS
    if filters:
        source = _FTS.join(_SUMMARY, col(Summary.id) == rowid)
    select = sa.select(*columns).select_from(source).where(_match(expression), *filters)
    if query.issue is not None:
        ids = _issue_ids(query.issue)
        low = sa.select(sa.func.min(ids.c.id)).scalar_subquery()
        high = sa.select(sa.func.max(ids.c.id)).scalar_subquery()
        plain: Any = sa.literal_column("+summary_fts.rowid")
        select = select.where(rowid.between(low, high), plain.in_(sa.select(ids.c.id)))
    return select


def matching(query: SearchQuery, expression: str, filters: list[Any]) -> Any:
    """Ids matching `expression` and the filters, in no particular order."""
    return _select([_FTS.c.rowid], query, expression, filters)


def probe(
    query: SearchQuery, expression: str, filters: list[Any], *, limit: int, offset: int = 0
) -> Any:
    """Ids matching `expression` and the filters, newest (highest id) first.

    FTS5 hands out rowids in order, so ORDER BY rowid DESC LIMIT n stops after n hits.
    """
    rowid = _FTS.c.rowid
    select = _select([rowid], query, expression, filters)
    return select.order_by(rowid.desc()).limit(limit).offset(offset)


def ranked(
    query: SearchQuery, expression: str, filters: list[Any], *, limit: int, offset: int
) -> Any:
    """(id, relevance) of one page, best first: bm25 for every match, so keep matches few."""
    rowid = _FTS.c.rowid
    score = (-sa.func.bm25(_FTS_NAME, *BM25_WEIGHTS)).label("score")
    select = _select([rowid, score], query, expression, filters)
    return select.order_by(sa.desc("score"), rowid).limit(limit).offset(offset)


def _issue_ids(number: int) -> Any:
    issues = sa.select(col(Issue.id)).where(col(Issue.number) == number)
    return sa.select(col(Summary.id)).where(col(Summary.issue_id).in_(issues)).subquery()


def _match(expression: str) -> Any:
    return _FTS_NAME.op("MATCH")(sa.bindparam("fts", expression))


def page(expression: str, ids: list[int]) -> Any:
    """Summary, issue label, issue number and snippet of a page of ids (in any order).

    FTS5 seeks each id of the IN list; snippet() looks at that row only.
    """
    snippet = sa.func.snippet(_FTS_NAME, -1, "**", "**", "…", SNIPPET_WORDS)
    rowid = _FTS.c.rowid
    return (
        sa.select(Summary, col(Issue.label), col(Issue.number), snippet)
        .select_from(_FTS)
        .join(_SUMMARY, col(Summary.id) == rowid)
        .join(Issue, col(Summary.issue_id) == Issue.id, isouter=True)
        .where(_match(expression), rowid.in_(ids))
    )

"""SQLite FTS5 pieces of summary search: the match expression and the newest-first id walk.

Why the work is shaped this way (measured at 100k summaries): walking the FTS5 doclist in rowid
order and stopping after N ids costs well under a millisecond even for a word in half of the
rows, so storage.search asks for the newest matches only. bm25() and snippet() are not used:
bm25() first counts every row holding each phrase (its IDF), 3-12 ms for a common word, and
snippet() re-runs the match for every row shown (storage.search.relevance does both jobs in Python).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa

from storage.search.filters import (
    FilterShape,
    bound,
    filter_params,
    filter_shape,
    filter_template,
)
from storage.search.keys import filter_key, fts5_string, phrase_key
from storage.search.query import SearchQuery
from storage.search.text import words
from storage.tables import ISSUE, SUMMARY

_FTS = sa.table("summary_fts", sa.column("rowid", sa.Integer))
_FTS_NAME: Any = sa.literal_column("summary_fts")


def fts5_phrase(text: str) -> str:
    """One FTS5 string: the words of `text` inside double quotes (quotes doubled)."""
    return fts5_string(words(text))


def fts5_part(text: str, *, column: str | None = None) -> str:
    """One word of a query (in `column` only, when given), or a phrase as its word pairs in the
    `keys` column (summary_fts, and comment_fts since migration 0013).

    A phrase read from its words' positions costs 2-4 ms when the words are common; its pairs
    are rare tokens (storage.search.keys, migration 0004).
    """
    pairs = phrase_key(text)
    if pairs:
        return f"({{keys}} : {pairs})"
    return f"({{{column}}} : {fts5_phrase(text)})" if column else fts5_phrase(text)


def fts5_expression(query: SearchQuery) -> str | None:
    """AND of the quoted terms and phrases, or None when the query has no words."""
    parts = [fts5_part(t) for t in (*query.terms, *query.phrases) if words(t)]
    return " AND ".join(parts) or None


def filter_expression(query: SearchQuery) -> str | None:
    """FTS5 terms for author:, by: and section:, or None when there are none.

    They let the index intersect a word's rows with a filter's instead of checking the filter
    on every row holding the word; the SQL filters still decide exactly, on far fewer rows.
    The words are the column's tagged keys (storage.search.keys): `{section} : "deep learning"`
    read the positions of every row holding "learning" anywhere. Author words match as
    prefixes ("Steinh" finds Steinhardt); section and summarizer words match whole.
    """
    parts = [
        f"({{keys}} : {key})"
        for column, text, prefix in (
            ("authors", query.author, True),
            ("summarizer", query.summarizer, False),
            ("section", query.section, False),
        )
        if text and (key := filter_key(column, text, prefix=prefix))
    ]
    return " AND ".join(parts) or None


def filter_index(query: SearchQuery) -> list[Any]:
    """`summary.id IN (rows the filters' column terms match)`, for a filter-only query."""
    expression = filter_expression(query)
    if expression is None:
        return []
    matched = sa.select(_FTS.c.rowid).select_from(_FTS).where(_match(expression))
    return [SUMMARY.c.id.in_(matched)]


def match_expression(query: SearchQuery) -> str | None:
    """The MATCH text of a query: its words, minus exclusions, plus the filters' column terms.

    Exclusions become FTS5 NOT clauses, so the index drops them while it walks the doclist
    instead of a second pass materialising every excluded row.
    """
    base = fts5_expression(query)
    if base is None:
        return None
    expression = f"({base})"
    excluded = [fts5_part(t) for t in query.excluded if words(t)]
    if excluded:
        expression = f"{expression} NOT ({' OR '.join(excluded)})"
    columns = filter_expression(query)
    return f"({expression}) AND ({columns})" if columns else expression


def newest(
    connection: sa.Connection, query: SearchQuery, *, limit: int, offset: int = 0
) -> list[Any]:
    """(id, title, authors, summarizer) of rows matching the query's MATCH text and filters,
    newest (highest id) first: rows offset to offset + limit of that order. One statement,
    built once per shape of query and cached."""
    expression = match_expression(query)
    if limit <= 0 or expression is None:
        return []
    params: dict[str, Any] = {"fts": expression, "limit": limit, "offset": offset}
    params.update(filter_params(query))
    if query.issue is not None:
        params["issue"] = query.issue
    statement = _newest(filter_shape(query), by_issue=query.issue is not None)
    return list(connection.execute(statement, params).all())


@lru_cache(maxsize=32)
def _newest(shape: FilterShape, *, by_issue: bool) -> Any:
    """Bind parameters: fts, limit, offset, the filters' (storage.search.filters) and issue.

    FTS5 hands out rowids in order, so ORDER BY rowid DESC LIMIT n stops after n hits.

    The summary row is joined by id for its heads and the filters. The issue filter is its
    ids: a plain `rowid IN (…)` would make FTS5 restart the match once per id, so FTS5 gets
    the ids' range, which it walks, and `+rowid IN` (hidden from FTS5) checks each row of that
    range. One issue's summaries sit next to each other.
    """
    rowid = _FTS.c.rowid
    heads = (SUMMARY.c.title, SUMMARY.c.authors, SUMMARY.c.summarizer)
    source = _FTS.join(SUMMARY, SUMMARY.c.id == rowid)
    select = sa.select(rowid, *heads).select_from(source).where(_match(), *filter_template(shape))
    if by_issue:
        ids = _issue_ids()
        low = sa.select(sa.func.min(ids.c.id)).scalar_subquery()
        high = sa.select(sa.func.max(ids.c.id)).scalar_subquery()
        plain: Any = sa.literal_column("+summary_fts.rowid")
        select = select.where(rowid.between(low, high), plain.in_(sa.select(ids.c.id)))
    return (
        select.order_by(rowid.desc())
        .limit(sa.bindparam("limit", type_=sa.Integer()))
        .offset(sa.bindparam("offset", type_=sa.Integer()))
    )


def _issue_ids() -> Any:
    issues = sa.select(ISSUE.c.id).where(ISSUE.c.number == sa.bindparam("issue"))
    return sa.select(SUMMARY.c.id).where(SUMMARY.c.issue_id.in_(issues)).subquery()


def _match(expression: str | None = None) -> Any:
    """`summary_fts MATCH :fts`; with `expression`, its value in place (a unique parameter)."""
    return _FTS_NAME.op("MATCH")(bound("fts", {} if expression is None else {"fts": expression}))

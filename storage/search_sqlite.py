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


def probe(
    query: SearchQuery, expression: str, filters: list[Any], *, limit: int, offset: int = 0
) -> Any:
    """Ids matching `expression` and the filters, newest (highest id) first.

    FTS5 hands out rowids in order, so ORDER BY rowid DESC LIMIT n stops after n hits. The
    issue filter is an IN list of a few ids, which FTS5 answers by seeking to each of them;
    the other filters need the summary row, joined by id.
    """
    rowid = _FTS.c.rowid
    source: Any = _FTS
    if filters:
        source = _FTS.join(_SUMMARY, col(Summary.id) == rowid)
    select = sa.select(rowid).select_from(source).where(_match(expression), *filters)
    if query.issue is not None:
        select = select.where(rowid.in_(_issue_ids(query.issue)))
    return select.order_by(rowid.desc()).limit(limit).offset(offset)


def _issue_ids(number: int) -> Any:
    issues = sa.select(col(Issue.id)).where(col(Issue.number) == number)
    return sa.select(col(Summary.id)).where(col(Summary.issue_id).in_(issues))


def _match(expression: str) -> Any:
    return _FTS_NAME.op("MATCH")(sa.bindparam("fts", expression))


# `+rowid` keeps the id list away from FTS5: given `rowid IN (…)` it would restart the match,
# and bm25's full-table phrase count, once per id; this way the doclist is walked once.
RANK = sa.text(
    "SELECT rowid, -bm25(summary_fts, "
    + ", ".join(str(w) for w in BM25_WEIGHTS)
    + ") FROM summary_fts WHERE summary_fts MATCH :fts AND +rowid IN :ids"
).bindparams(sa.bindparam("ids", expanding=True))

SNIPPETS = sa.text(
    "SELECT rowid, snippet(summary_fts, -1, '**', '**', '…', "
    f"{SNIPPET_WORDS}) FROM summary_fts WHERE summary_fts MATCH :fts AND rowid IN :ids"
).bindparams(sa.bindparam("ids", expanding=True))

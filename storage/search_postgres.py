"""PostgreSQL tsvector pieces of summary search: id probes, ts_rank, headlines.

The stored, weighted `summary.search_vector` (GIN) finds matches; the title-only GIN index of
migration 0002 finds the title tier without re-reading every matching row's vector (a weight
restricted query on search_vector would make PostgreSQL recheck each heap row).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from storage.models import Issue, Summary
from storage.query import SearchQuery, words

CONFIG = "english"
SNIPPET_WORDS = 24
_HEADLINE = (
    f"StartSel=**, StopSel=**, MaxWords={SNIPPET_WORDS + 6}, MinWords=12, "
    "MaxFragments=1, FragmentDelimiter=' … '"
)
REGCONFIG: Any = sa.literal_column(f"'{CONFIG}'::regconfig")
VECTOR: Any = sa.literal_column("summary.search_vector")
# Must be the very expression of ix_summary_title_tsv (0002) for the planner to use it.
TITLE_VECTOR: Any = sa.func.to_tsvector(REGCONFIG, col(Summary.title))


def tsquery(terms: list[str], phrases: list[str]) -> Any:
    """plainto_tsquery(terms) && phraseto_tsquery(phrase) && …, or None without words."""
    parts: list[Any] = []
    plain = " ".join(" ".join(words(t)) for t in terms)
    if plain:
        parts.append(sa.func.plainto_tsquery(REGCONFIG, plain))
    for phrase in phrases:
        text = " ".join(words(phrase))
        if text:
            parts.append(sa.func.phraseto_tsquery(REGCONFIG, text))
    if not parts:
        return None
    combined = parts[0]
    for part in parts[1:]:
        combined = combined.op("&&")(part)
    return combined


def conditions(query: SearchQuery, tier: str) -> list[Any]:
    """WHERE conditions of one tier: "all" matches, "title" matches, the "rest", or "words"."""
    positive = tsquery(query.terms, query.phrases)
    out: list[Any] = [VECTOR.op("@@", return_type=sa.Boolean)(positive)]
    if tier == "words":
        out = _word_patterns(query)
    elif tier == "title":
        out.append(TITLE_VECTOR.op("@@", return_type=sa.Boolean)(positive))
    elif tier == "rest":
        out.append(sa.not_(TITLE_VECTOR.op("@@", return_type=sa.Boolean)(positive)))
    for text in query.excluded:
        excluded = tsquery([], [text])
        if excluded is not None:
            out.append(sa.not_(VECTOR.op("@@", return_type=sa.Boolean)(excluded)))
    return out


def _word_patterns(query: SearchQuery) -> list[Any]:
    """Whole-word regular expressions on title and text: the fallback for stopword-only queries.

    The english configuration leaves stopwords out of search_vector, so "the" or "in the" can
    only be found in the text itself. Words are letters and digits only (storage.query), so a
    pattern carries no regex syntax from the user.
    """
    text = sa.func.concat(col(Summary.title), " ", col(Summary.summary))
    return [
        text.op("~*", return_type=sa.Boolean)(r"\m" + r"\W+".join(words(part)) + r"\M")
        for part in (*query.terms, *query.phrases)
        if words(part)
    ]


def _select(columns: list[Any], query: SearchQuery, tier: str, filters: list[Any]) -> Any:
    select = sa.select(*columns).where(*conditions(query, tier), *filters)
    if query.issue is not None:
        issues = sa.select(col(Issue.id)).where(col(Issue.number) == query.issue)
        select = select.where(col(Summary.issue_id).in_(issues))
    return select


def matching(query: SearchQuery, tier: str, filters: list[Any]) -> Any:
    """Ids of one tier that pass the filters, in no particular order."""
    return _select([col(Summary.id)], query, tier, filters)


def probe(query: SearchQuery, tier: str, filters: list[Any], *, limit: int, offset: int = 0) -> Any:
    """Ids of one tier that pass the filters, newest (highest id) first."""
    select = _select([col(Summary.id)], query, tier, filters)
    return select.order_by(col(Summary.id).desc()).limit(limit).offset(offset)


def ranked(query: SearchQuery, filters: list[Any], *, limit: int, offset: int) -> Any:
    """(id, relevance) of one page, best first: ts_rank for every match, so keep matches few."""
    positive = tsquery(query.terms, query.phrases)
    score = sa.func.ts_rank(VECTOR, positive).label("score")
    select = _select([col(Summary.id), score], query, "all", filters)
    return select.order_by(sa.desc("score"), col(Summary.id)).limit(limit).offset(offset)


def page(query: SearchQuery, ids: list[int]) -> Any:
    """Summary, issue label, issue number and headline of a page of ids (in any order)."""
    positive = tsquery(query.terms, query.phrases)
    headline = sa.func.ts_headline(REGCONFIG, col(Summary.summary), positive, _HEADLINE)
    return (
        sa.select(Summary, col(Issue.label), col(Issue.number), headline)
        .join(Issue, col(Summary.issue_id) == Issue.id, isouter=True)
        .where(col(Summary.id).in_(ids))
    )


def only_stopwords(query: SearchQuery) -> Any:
    """True when every word is a stopword: the index leaves those out, so nothing can match."""
    return sa.select(sa.func.numnode(tsquery(query.terms, query.phrases)) == 0)

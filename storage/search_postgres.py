"""PostgreSQL tsvector pieces of summary search: the tsquery and the newest-first id walk.

The stored, weighted `summary.search_vector` (GIN) finds matches; the 'simple' GIN indexes of
migration 0003 narrow the author/summarizer/section filters. Ordering and snippets are done in
Python (storage.relevance), as on SQLite, so both backends show the same.

The query reaches PostgreSQL as one tsquery text per statement, built from the query's words:
words are runs of letters and digits, each single-quoted, so no tsquery syntax can come from
the user; to_tsquery then stems them and drops stopwords as plainto_/phraseto_tsquery would.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from storage.models import Issue, Summary
from storage.query import SearchQuery, words
from storage.search_filters import (
    FilterShape,
    as_prefix,
    filter_conditions,
    filter_params,
    filter_shape,
    filter_template,
)

CONFIG = "english"
REGCONFIG: Any = sa.literal_column(f"'{CONFIG}'::regconfig")
VECTOR: Any = sa.literal_column("summary.search_vector")
# Must be the very expressions of the filter indexes of 0003 for the planner to use them:
# 'simple' vectors, names and section titles matched as written.
SIMPLE: Any = sa.literal_column("'simple'::regconfig")
# (The summarizer equality needs no help: 0003's btree on lower(summarizer) serves it as is.)
FILTER_VECTORS: dict[str, Any] = {
    "authors": sa.func.to_tsvector(SIMPLE, col(Summary.authors)),
    "section": sa.func.to_tsvector(SIMPLE, col(Summary.section)),
}
# (column, the query's value, matched as a prefix): authors by prefix ("Steinh"), section whole.
_FILTER_FIELDS: tuple[tuple[str, str, bool], ...] = (
    ("authors", "author", True),
    ("section", "section", False),
)
_HEADS = (col(Summary.id), col(Summary.title), col(Summary.authors), col(Summary.summarizer))
_TOKEN = re.compile(r"[^\W_]+")  # letters and digits: nothing of tsquery syntax can get through


def _lexemes(text: str, *, joiner: str, prefix: bool = False) -> str | None:
    tokens = _TOKEN.findall(text)
    if not tokens:
        return None
    return joiner.join(f"'{token}'" for token in tokens) + (":*" if prefix else "")


def positive_text(query: SearchQuery) -> str | None:
    """to_tsquery text of the words and phrases every hit must hold, or None without words."""
    parts = [_lexemes(t, joiner=" & ") for t in query.terms]
    parts += [_lexemes(p, joiner=" <-> ") for p in query.phrases]
    found = [f"({part})" for part in parts if part]
    return " & ".join(found) or None


def tsquery_text(query: SearchQuery) -> str | None:
    """positive_text with the exclusions: `… & !(excluded phrase)`."""
    positive = positive_text(query)
    if positive is None:
        return None
    excluded = [_lexemes(t, joiner=" <-> ") for t in query.excluded]
    return " & ".join([positive, *(f"!({part})" for part in excluded if part)])


def filter_matches(query: SearchQuery) -> list[Any]:
    """Index conditions for author: and section:, values in place (filter-only queries)."""
    params = _filter_index_params(query)
    return [
        _index_match(name, sa.bindparam(name, value, sa.Text(), unique=True))
        for name, value in params.items()
    ]


@lru_cache(maxsize=16)
def _filter_index_template(names: tuple[str, ...]) -> tuple[Any, ...]:
    """The filters as 'simple' tsvector matches: the index finds the rows (see 0003).

    `names` are the bind parameters given (fx_authors, …), in _FILTER_FIELDS order.
    """
    return tuple(_index_match(name, sa.bindparam(name, type_=sa.Text())) for name in names)


def _index_match(name: str, value: Any) -> Any:
    vector = FILTER_VECTORS[name.removeprefix("fx_")]
    return vector.op("@@", return_type=sa.Boolean)(sa.func.to_tsquery(SIMPLE, value))


def _filter_index_params(query: SearchQuery) -> dict[str, str]:
    """Each filter's words as a tsquery text; a value without letters or digits has none (its
    SQL filter still applies)."""
    params: dict[str, str] = {}
    for column, field, prefix in _FILTER_FIELDS:
        value = getattr(query, field)
        body = (
            _lexemes(value, joiner=" <-> ", prefix=prefix and as_prefix(value)) if value else None
        )
        if body:
            params[f"fx_{column}"] = body
    return params


def newest(query: SearchQuery, tier: str) -> Any:
    """(id, title, authors, summarizer) of rows matching the query and its filters, newest
    (highest id) first.

    "all" asks the index (built once per shape of query, cached); "words" scans the text for a
    query of stopwords only (built per query, it is the rare fallback).
    """
    if tier == "words":
        return _words_newest(query)
    index = tuple(_filter_index_params(query))
    return _newest(filter_shape(query), index, query.issue is not None)


def newest_params(query: SearchQuery, *, limit: int, offset: int = 0) -> dict[str, Any]:
    params: dict[str, Any] = {"tsq": tsquery_text(query), "limit": limit, "offset": offset}
    params.update(filter_params(query))
    params.update(_filter_index_params(query))
    if query.issue is not None:
        params["issue"] = query.issue
    return params


@lru_cache(maxsize=64)
def _newest(shape: FilterShape, index: tuple[str, ...], issue: bool) -> Any:
    matches = VECTOR.op("@@", return_type=sa.Boolean)(
        sa.func.to_tsquery(REGCONFIG, sa.bindparam("tsq", type_=sa.Text()))
    )
    return _finish(
        sa.select(*_HEADS).where(matches, *filter_template(shape), *_filter_index_template(index)),
        issue,
    )


def _words_newest(query: SearchQuery) -> Any:
    """Whole-word regular expressions on title and text: the fallback for stopword-only queries.

    The english configuration leaves stopwords out of search_vector, so "the" or "in the" can
    only be found in the text itself. Words are letters and digits only (storage.query), so a
    pattern carries no regex syntax from the user.
    """
    text = sa.func.concat(col(Summary.title), " ", col(Summary.summary))
    patterns = [
        text.op("~*", return_type=sa.Boolean)(r"\m" + r"\W+".join(words(part)) + r"\M")
        for part in (*query.terms, *query.phrases)
        if words(part)
    ]
    for part in query.excluded:
        excluded = tsquery_part(part)
        if excluded is not None:
            patterns.append(sa.not_(VECTOR.op("@@", return_type=sa.Boolean)(excluded)))
    select = sa.select(*_HEADS).where(*patterns, *filter_conditions(query), *filter_matches(query))
    return _finish(select, query.issue is not None)


def tsquery_part(text: str) -> Any:
    body = _lexemes(text, joiner=" <-> ")
    return None if body is None else sa.func.to_tsquery(REGCONFIG, sa.literal(body, sa.Text))


def _finish(select: Any, issue: bool) -> Any:
    if issue:
        issues = sa.select(col(Issue.id)).where(col(Issue.number) == sa.bindparam("issue"))
        select = select.where(col(Summary.issue_id).in_(issues))
    return (
        select.order_by(col(Summary.id).desc())
        .limit(sa.bindparam("limit", type_=sa.Integer()))
        .offset(sa.bindparam("offset", type_=sa.Integer()))
    )


# True when every word is a stopword: the index leaves those out, so nothing can match.
ONLY_STOPWORDS: Any = sa.select(
    sa.func.numnode(sa.func.to_tsquery(REGCONFIG, sa.bindparam("positive", type_=sa.Text()))) == 0
)

"""The author:, by: and section: filters as SQL, with bound values (shared by both backends).

Values compare folded (storage.search.text.fold), through the SQL function FOLD: on SQLite the
Python function itself (storage.search.index registers it), on PostgreSQL lower(unaccent())
(migration 0011).

Statements are built once per shape (which filters a query has) and cached: building a
SQLAlchemy select costs about half a millisecond, a tenth of a search's budget. So the filters
are templates with bind parameters, and `filter_params` supplies a query's values.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from storage.search.query import SearchQuery
from storage.search.text import words
from storage.tables import SUMMARY

__all__ = [
    "FilterShape",
    "as_prefix",
    "bound",
    "filter_conditions",
    "filter_params",
    "filter_shape",
    "filter_template",
    "folded_equals",
    "folded_like",
]

FilterShape = tuple[bool, bool, bool]  # has section, author, summarizer
FOLD = "anbot_fold"
_ESCAPE = "/"


# A prefix shorter than this would make the full-text index merge the lists of very many words
# ("it*" in author:cousin_it); shorter last words match whole.
MIN_PREFIX = 4


def as_prefix(text: str) -> bool:
    """Whether the index matches a filter's last word as a prefix (author: "Steinh" finds
    Steinhardt)."""
    found = words(text)
    return bool(found) and len(found[-1]) >= MIN_PREFIX


def filter_shape(query: SearchQuery) -> FilterShape:
    return (bool(query.section), bool(query.author), bool(query.summarizer))


@lru_cache(maxsize=16)
def filter_template(shape: FilterShape) -> tuple[Any, ...]:
    """Case-insensitive "contains" for section and authors, equality for the summarizer."""
    return _filters(shape, {})


def _filters(shape: FilterShape, values: dict[str, str]) -> tuple[Any, ...]:
    section, author, summarizer = shape
    out: list[Any] = []
    if section:
        out.append(_contains(SUMMARY.c.section, "f_section", values))
    if author:
        out.append(_contains(SUMMARY.c.authors, "f_author", values))
    if summarizer:
        wanted = _fold(bound("f_summarizer", values))
        out.append(_FoldColumn(SUMMARY.c.summarizer) == wanted)
    return tuple(out)


def filter_params(query: SearchQuery) -> dict[str, str]:
    params: dict[str, str] = {}
    if query.section:
        params["f_section"] = _pattern(query.section)
    if query.author:
        params["f_author"] = _pattern(query.author)
    if query.summarizer:
        params["f_summarizer"] = query.summarizer
    return params


def filter_conditions(query: SearchQuery) -> list[Any]:
    """The filters of `query` with their values in place (for statements built per query)."""
    return list(_filters(filter_shape(query), filter_params(query)))


def folded_equals(column: Any, value: Any) -> Any:
    """`column` equals `value` (a string or a bind parameter), both folded (discussion search's
    by:, as the summarizer filter)."""
    if isinstance(value, str):
        value = sa.bindparam(None, value, type_=sa.String())
    return _FoldColumn(column) == _fold(value)


def folded_like(column: Any, pattern: Any) -> Any:
    """`column`, folded, is LIKE `pattern` (already folded, `/` escapes; a bind parameter)."""
    return _FoldColumn(column).like(pattern, escape=_ESCAPE)


def bound(name: str, values: dict[str, Any], type_: Any = None) -> Any:
    """A bind parameter `name`: with its value in place when `values` has one (unique, so two
    such conditions never collide), else to be supplied at execution (a cached template)."""
    type_ = sa.String() if type_ is None else type_
    if name in values:
        return sa.bindparam(name, values[name], type_=type_, unique=True)
    return sa.bindparam(name, type_=type_)


def _contains(column: Any, name: str, values: dict[str, str]) -> Any:
    return _FoldColumn(column).like(_fold(bound(name, values)), escape=_ESCAPE)


def _fold(value: Any) -> Any:
    """The SQL function FOLD of `value`: casefolded, accents removed, as
    storage.search.text.fold does (SQLite's lower() folds ASCII only)."""
    return getattr(sa.func, FOLD)(value)


class _FoldColumn(FunctionElement[str]):
    """FOLD of a column, compared on every row a filter checks."""

    name = FOLD
    type = sa.String()
    inherit_cache = True


@compiles(_FoldColumn)
def _fold_column(element: _FoldColumn, compiler: Any, **kw: Any) -> str:
    return f"{FOLD}({compiler.process(element.clauses, **kw)})"


@compiles(_FoldColumn, "sqlite")
def _fold_column_sqlite(element: _FoldColumn, compiler: Any, **kw: Any) -> str:
    """An ASCII value (as many characters as bytes) folds with the built-in lower(): calling
    the Python function for every row cost 3.3x lower()'s time over 60k rows (by:Rohin), the
    test that skips it for ASCII 1.6x."""
    value = compiler.process(element.clauses, **kw)
    return (
        f"(CASE WHEN length({value}) = length(CAST({value} AS BLOB)) THEN lower({value})"
        f" ELSE {FOLD}({value}) END)"
    )


def _pattern(text: str) -> str:
    for char in (_ESCAPE, "%", "_"):
        text = text.replace(char, _ESCAPE + char)
    return f"%{text}%"

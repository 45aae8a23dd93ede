"""PostgreSQL pieces of summary search: the keys match and the newest-first walk by id windows.

`summary.search_keys` (migration 0006) holds each summary's stems, pairs of adjacent stems,
tagged filter words, and the blocks of ids it belongs to (2**10 to 2**16 ids, one lexeme per
size). The SQL function anbot_search_query turns the query's raw words into a tsquery over those
keys, so PostgreSQL tokenizes and stems query and text alike; words reach it as bound values,
never as tsquery syntax. A phrase is the AND of its pairs (each pair within one field).

Why windows (measured at 100k summaries): GIN cannot hand out the newest matches first. Asking
for "the newest 201" made PostgreSQL either walk the primary key backwards testing every row
(8,000 rows for a word in 2.5% of them) or fetch every match and sort (2,300 heap rows): 10-20
ms either way. ANDing a window of blocks into the tsquery lets the index itself keep only the
matches among those ids, so only their heap rows are read. The first window (the two newest
blocks of 1,024 ids) rides in the statement that builds the tsquery; the matches found there
give the query's density, and the next window is sized to hold what is still missing; when few
rows are left to find, the rest comes at once. The parameters below come from replaying the
bench's 200 queries: each statement costs about as much as 200 heap rows.
Ordering and snippets are done in Python (storage.search.relevance), as on SQLite.
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, REAL, TSQUERY

from storage.search.filters import (
    FilterShape,
    as_prefix,
    bound,
    filter_params,
    filter_shape,
    filter_template,
)
from storage.search.keys import BLOCK, LEVELS
from storage.search.query import SearchQuery
from storage.search.text import words
from storage.tables import ISSUE, SUMMARY

__all__ = [
    "LEVELS",
    "common_lexemes",
    "filter_index",
    "first_window",
    "has_words",
    "index_tsquery",
    "newest",
    "start",
    "walk",
]

UNIT = 1 << LEVELS.start  # ids in the smallest block
LARGEST = 1 << (LEVELS.stop - 1 - LEVELS.start)  # units in the largest block
WINDOW_BLOCKS = 4  # blocks in one window at most: each is one more OR branch in every check
GROWTH = 8  # a window covers at most this many times the ids seen before it…
SAMPLE = 10  # …until this many matches were seen
# When the density seen so far expects at most this many matches in all the older rows, they
# are fetched in one statement rather than another window (a heap row costs 1-5 µs).
REST_AT_ONCE = 200
SLACK = 1.1  # a sized window aims at this many times the rows still missing

_CONFIG: Any = sa.literal_column("'anbot_words'::regconfig")
_KEYS: Any = sa.literal_column("summary.search_keys")
_HEADS = (SUMMARY.c.id, SUMMARY.c.title, SUMMARY.c.authors, SUMMARY.c.summarizer)
_TEXTS = ARRAY(sa.Text())


def has_words(query: SearchQuery) -> bool:
    return any(words(part) for part in (*query.terms, *query.phrases))


def tsquery(values: dict[str, Any]) -> Any:
    """anbot_search_query(…) of the query's words and filters: bound, or `values` in place."""
    return sa.func.anbot_search_query(
        _CONFIG,
        bound("k_parts", values, _TEXTS),
        bound("k_excluded", values, _TEXTS),
        bound("k_section", values, sa.Text()),
        bound("k_authors", values, sa.Text()),
        bound("k_prefix", values, sa.Boolean()),
        bound("k_summarizer", values, sa.Text()),
    )


# Lexemes PostgreSQL's column statistics find in at least this share of rows may be left out of
# what the GIN index is asked (migration 0016, anbot_index_query), as long as what is left out
# still lets through this share of the rows; the rows are then checked against the whole query.
LEAST_SHARE = 0.3
COMMON_TTL = 600.0  # seconds the shares are kept: statistics change when ANALYZE runs, rarely
_COMMON: weakref.WeakKeyDictionary[sa.Engine, dict[tuple[str, str], tuple[float, Any]]] = (
    weakref.WeakKeyDictionary()
)


def common_lexemes(
    connection: sa.Connection, table: str, column: str
) -> tuple[list[str], list[float]]:
    """The lexemes of `table.column` (a tsvector) in at least LEAST_SHARE of its rows and their
    shares, from pg_stats (none before the table was analyzed); read at most every COMMON_TTL
    seconds per engine (reading pg_stats costs ~1 ms, more than many searches)."""
    cache = _COMMON.setdefault(connection.engine, {})
    now = time.monotonic()
    kept = cache.get((table, column))
    if kept is not None and kept[0] > now:
        return kept[1]
    row = connection.execute(
        sa.text(
            "SELECT most_common_elems::text::text[], most_common_elem_freqs FROM pg_stats"
            " WHERE schemaname = current_schema() AND tablename = :table AND attname = :column"
        ),
        {"table": table, "column": column},
    ).first()
    lexemes: list[str] = []
    shares: list[float] = []
    if row is not None and row[0] is not None:
        # most_common_elem_freqs holds three more numbers after the lexemes' (zip stops there).
        for lexeme, share in zip(row[0], row[1], strict=False):
            if share >= LEAST_SHARE:
                lexemes.append(lexeme)
                shares.append(float(share))
    cache[(table, column)] = (now + COMMON_TTL, (lexemes, shares))
    return lexemes, shares


def index_tsquery(values: dict[str, Any], *, others: bool = False) -> Any:
    """anbot_index_query(…): the AND of the lexemes of the query's words and phrases (bound
    k_parts) without the most common ones (bound k_common and k_shares: common_lexemes), for
    the index to find; the rows it finds are then checked against the whole query. `others`:
    the caller ANDs another lexeme, so every word may be left out."""
    return sa.func.anbot_index_query(
        _CONFIG,
        bound("k_parts", values, _TEXTS),
        bound("k_common", values, _TEXTS),
        bound("k_shares", values, ARRAY(REAL())),
        sa.literal_column(f"{LEAST_SHARE}::real"),
        sa.true() if others else sa.false(),
    )


def _matches(tsquery: Any, keys: Any = _KEYS) -> Any:
    return keys.op("@@", return_type=sa.Boolean)(tsquery)


def key_params(query: SearchQuery, *, filters_only: bool = False) -> dict[str, Any]:
    parts = [] if filters_only else [p for p in (*query.terms, *query.phrases) if words(p)]
    return {
        "k_parts": parts,
        "k_excluded": [] if filters_only else [p for p in query.excluded if words(p)],
        "k_section": query.section,
        "k_authors": query.author,
        "k_prefix": bool(query.author) and as_prefix(query.author or ""),
        "k_summarizer": query.summarizer,
    }


def filter_index(query: SearchQuery) -> list[Any]:
    """The index condition for a filter-only query's author:, by: and section: (values in place),
    or none when no filter has a word to look up (its SQL filter still applies)."""
    if not any(words(v or "") for v in (query.section, query.author, query.summarizer)):
        return []
    return [_matches(tsquery(key_params(query, filters_only=True)))]


def start(tsquery: Any, id_column: Any, *, before: Any = None, whole: Any = None) -> Any:
    """The subquery a walk starts from, one row: base (the query's tsquery as text, computed
    once: the windows pass it back as a constant the planner can read), top (the newest id,
    below `before` when given) and bottom (the oldest id: no window goes below it, so a walk
    over snowflake ids does not visit the empty years before the first row).

    With `whole` (the whole query, when `tsquery` is only what the index is asked: see
    index_tsquery), two more: whole, and recheck (whole when it differs from `tsquery`, else
    NULL: the rows the index gives need checking only then)."""
    top = sa.select(sa.func.max(id_column))
    if before is not None:
        top = top.where(id_column < before)
    ends = (
        top.scalar_subquery().label("top"),
        sa.select(sa.func.min(id_column)).scalar_subquery().label("bottom"),
    )
    if whole is None:
        return sa.select(sa.cast(tsquery, sa.Text()).label("base"), *ends).subquery("start")
    # Each tsquery computed once (OFFSET 0: not pulled up, which would copy the calls into
    # recheck's NULLIF; computing one costs ~0.2-0.5 ms).
    zero = sa.literal_column("0", sa.Integer())
    queries = sa.select(tsquery.label("index"), whole.label("whole")).offset(zero).subquery()
    return (
        sa.select(
            sa.cast(queries.c.index, sa.Text()).label("base"),
            *ends,
            queries.c.whole,
            sa.func.nullif(queries.c.whole, queries.c.index).label("recheck"),
        )
        .select_from(queries)
        .subquery("start")
    )


# The query's tsquery as text, computed once per search (the windows after the first pass it
# back as a constant the planner can read), and the newest id.
_START: Any = start(tsquery({}), SUMMARY.c.id)
_BASE: Any = sa.cast(sa.bindparam("base", type_=sa.Text()), TSQUERY)
_WINDOW: Any = sa.cast(sa.bindparam("window", type_=sa.Text()), TSQUERY)


def _and(a: Any, b: Any) -> Any:
    return a.op("&&", return_type=TSQUERY)(b)


@lru_cache(maxsize=16)
def _first(shape: FilterShape, *, window: bool) -> Any:
    """_START and, in the same round trip, the matches in the two newest blocks of ids (when
    `window`), as rows (base, top, id, title, authors, summarizer); one row of NULL heads when
    none match."""
    if not window:
        return sa.select(_START.c.base, _START.c.top)
    return first_window(
        _START, lambda tsquery: sa.select(*_HEADS).where(_matches(tsquery), *filter_template(shape))
    )


@lru_cache(maxsize=32)
def _statement(shape: FilterShape, *, by_issue: bool, window: bool) -> Any:
    tsquery = _and(_BASE, _WINDOW) if window else _BASE
    select = sa.select(*_HEADS).where(_matches(tsquery), *filter_template(shape))
    if by_issue:
        issues = sa.select(ISSUE.c.id).where(ISSUE.c.number == sa.bindparam("issue"))
        select = select.where(SUMMARY.c.issue_id.in_(issues))
    return select


def newest(
    connection: sa.Connection, query: SearchQuery, *, limit: int, offset: int = 0
) -> list[Any]:
    """(id, title, authors, summarizer) of rows matching the query and its filters, newest
    (highest id) first: rows offset to offset + limit of that order.

    Window by window from the newest ids back, until offset + limit are found (see the module
    docstring); an issue: filter is one statement (an issue holds a few dozen summaries).
    """
    if limit <= 0 or not has_words(query):
        return []
    need = offset + limit
    shape = filter_shape(query)
    windowed = query.issue is None
    params: dict[str, Any] = {**key_params(query), **filter_params(query)}
    first = connection.execute(_first(shape, window=windowed), params).all()
    if not windowed:
        if first[0][0] is None:
            return []
        params.update(base=first[0][0], issue=query.issue)
        rows = connection.execute(_statement(shape, by_issue=True, window=False), params).all()
        return sorted(rows, key=lambda row: row[0], reverse=True)[offset:need]

    base, top, bottom = first[0][0], first[0][1], first[0][2]
    if base is None or top is None:
        return []
    params["base"] = base

    def fetch(window: str | None) -> Sequence[Any]:
        statement = _statement(shape, by_issue=False, window=window is not None)
        return connection.execute(statement, {**params, "window": window}).all()

    found = [row[3:] for row in first if row[3] is not None]
    return walk(found, top, need, LEVELS, fetch, bottom=bottom or 0)[offset:need]


def first_window(
    start: Any, matching: Callable[[Any], Any], levels: range = LEVELS
) -> sa.Select[Any]:
    """`start` (the subquery of `start()`) and, in the same round trip, the rows
    `matching(tsquery)` selects in the two newest blocks of 2**levels.start ids: rows
    (base, top, bottom, *heads); one row of NULL heads when none match. `walk` goes on from
    there."""
    newest = start.c.top.op(">>")(sa.literal_column(str(levels.start), sa.Integer()))
    blocks = [
        sa.literal(f"'{BLOCK}{levels.start}:") + sa.cast(block, sa.Text()) + sa.literal("'")
        for block in (newest, newest - 1)
    ]
    newest_blocks = sa.cast(blocks[0] + sa.literal(" | ") + blocks[1], TSQUERY)
    heads = matching(_and(sa.cast(start.c.base, TSQUERY), newest_blocks)).lateral("heads")
    return sa.select(start.c.base, start.c.top, start.c.bottom, heads).select_from(
        start.outerjoin(heads, sa.true())
    )


def walk(
    found: list[Any],
    top: int,
    need: int,
    levels: range,
    fetch: Callable[[str | None], Sequence[Any]],
    *,
    bottom: int = 0,
) -> list[Any]:
    """The newest `need` matches (rows, id first), newest first: `found` are the matches in
    the two newest blocks of 2**levels.start ids at or below `top` (first_window); then window
    by window back (`fetch(window)`: the matches among the blocks of the tsquery text `window`,
    or all of them for None) until `need` are found or no id is left down to `bottom` (the
    oldest id)."""
    unit = 1 << levels.start
    found = sorted(found, key=lambda row: row[0], reverse=True)
    floor = bottom >> levels.start  # the unit holding the oldest id: the walk's last
    # In units, exclusive: the next window ends below the first one.
    end = max((top >> levels.start) - 1, 0)
    units = _next_units(len(found), top + 1 - end * unit, need - len(found), unit)
    while len(found) < need and end > floor:
        seen = top + 1 - end * unit
        if _few_below(len(found), seen, end * unit - bottom, need - len(found)):
            # All of the rest in one statement, no blocks to merge. (The rows above come again
            # and are dropped here: `id < …` in the statement would let the planner AND a
            # primary key range scan of most of the table into the bitmap.)
            below = end * unit
            rows = [row for row in fetch(None) if row[0] < below]
            end = 0
        else:
            blocks, end = window_blocks(end, units, levels)
            rows = list(fetch(" | ".join(f"'{BLOCK}{block}'" for block in blocks)))
        found += sorted(rows, key=lambda row: row[0], reverse=True)
        units = _next_units(len(found), top + 1 - end * unit, need - len(found), unit)
    return found


def _few_below(found: int, seen: int, below: int, missing: int) -> bool:
    """Whether the matches below id `below` are few enough for one statement, at a density a
    little above the one seen (a handful of matches says little)."""
    expected = (found + 3) / seen * below
    return expected <= max(REST_AT_ONCE, missing * SLACK)


def window_blocks(end: int, units: int, levels: range = LEVELS) -> tuple[list[str], int]:
    """Block lexemes (`level:index`) covering at least `units` units (2**levels.start ids)
    below `end` (exclusive, in units) where WINDOW_BLOCKS blocks can, and where the window then
    ends.

    Blocks are aligned (a block of 2**k units starts at a multiple of 2**k), so each is one
    lexeme; going down from `end`, each block is the largest that ends there and is needed.
    """
    largest = 1 << (levels.stop - 1 - levels.start)
    blocks: list[str] = []
    covered = 0
    while end > 0 and covered < units and len(blocks) < WINDOW_BLOCKS:
        size = 1
        while size < largest and end % (size * 2) == 0 and covered + size < units:
            size *= 2
        level = levels.start + size.bit_length() - 1
        blocks.append(f"{level}:{(end - size) // size}")
        end -= size
        covered += size
    return blocks, end


def _next_units(found: int, seen: int, missing: int, unit: int = UNIT) -> int:
    """Units the next window needs to hold `missing` more rows at the density seen so far;
    under SAMPLE matches the density is too rough to trust, so at most GROWTH times the ids
    seen (each window is a round trip, each needless row a heap visit: both cost)."""
    most = max(1, GROWTH * seen // unit)
    if found == 0:
        return most
    per_unit = found / seen * unit
    wanted = max(1, math.ceil(missing * SLACK / per_unit))
    return wanted if found >= SAMPLE else min(most, wanted)

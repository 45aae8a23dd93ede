"""Discussion search: the public comments matching a query, newest first, with a cursor.

The query is storage.query's grammar (parse_query(text, discussions=True)): words, "phrases",
-excluded, `by:` the commenter's display name (exact), `in:` a thread (the summary's or
thread's id, or words of the summary title), `issue:56`. Matching folds case and accents as
summary search does (storage.search.text.fold; the filters through storage.search.filters).

Each backend has a full-text index of comments of its own (migration 0010): SQLite FTS5
`comment_fts` (the porter tokenizer of summary_fts, pairs of words in a `keys` column as
summary_fts's, rowid = -comment.id since migration 0013), walked newest first, the LIMIT
stopping the walk; PostgreSQL `comment.search_keys`, keyed as summary.search_keys and walked
newest first in one statement (_walk; GIN cannot give the newest first): the newest comments in
id order (PROBE; for `by:` the member's newest through a btree of the name key, migration 0015,
MEMBER_SCAN), then windows over the keys' blocks of ids, the index asked only for the query's
less common lexemes (migration 0016, storage.search.postgres.index_tsquery) and the rows it gives
checked against the whole query.
Words reach the index as quoted FTS5 strings (storage.search.sqlite.fts5_phrase) or bound
values turned into a tsquery by anbot_search_query, never as syntax.

Only what the web may show is searched (storage.web_archive.public_thread): comments of public,
published, live threads with a summary page, not tombstones, not by members who hid their
comments. Hits come newest first; the cursor is the last hit's id (`before`), so a page's URL
shows the same hits tomorrow plus nothing older moved in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSQUERY

from storage.db import Database
from storage.search.filters import folded_equals, folded_like
from storage.search.keys import BLOCK, COMMENT_LEVELS
from storage.search.postgres import common_lexemes, index_tsquery, key_params, start
from storage.search.postgres import tsquery as pg_tsquery
from storage.search.query import SearchQuery
from storage.search.relevance import Matcher, lead, snippet
from storage.search.sqlite import fts5_part, fts5_phrase
from storage.search.text import fold, folded_words, words
from storage.web_archive import (
    COMMENTS,
    ISSUES,
    PUBS,
    SUMMARIES,
    as_utc,
    exists_of,
    hidden_author,
    public_thread,
)

__all__ = [
    "DiscussionHit",
    "DiscussionPage",
    "public_comments_on",
    "search_discussions",
    "search_discussions_on",
]

MAX_PAGE = 50


@dataclass(frozen=True, slots=True)
class DiscussionHit:
    comment_id: int
    thread_id: int
    summary_id: int
    summary_title: str
    author_name: str
    created_at: datetime
    snippet: str  # matches in **bold** (storage.search.relevance.snippet)


@dataclass(frozen=True, slots=True)
class DiscussionPage:
    hits: list[DiscussionHit]
    next_before: int | None  # cursor of the next (older) page; None on the last page


async def search_discussions(
    db: Database, query: SearchQuery, *, limit: int = 20, before: int | None = None
) -> DiscussionPage:
    """Public comments matching `query`, newest first, older than the `before` cursor."""
    # Generic plans: the search is one statement whose plan its values do not change (see
    # _walk), and planning it cost three times running it.
    return await db.run_sync(
        search_discussions_on,
        query,
        limit=limit,
        before=before,
        snapshot=False,
        generic_plans=True,
    )


def search_discussions_on(
    connection: sa.Connection, query: SearchQuery, *, limit: int = 20, before: int | None = None
) -> DiscussionPage:
    """`search_discussions` on a synchronous connection."""
    limit = max(1, min(limit, MAX_PAGE))
    shape = _shape(query)
    params = _filter_values(query)
    if connection.dialect.name == "postgresql" and _keyed(query):
        # The walk's statements return the hits' rows (HEADS) themselves: no second round trip.
        rows = _newest_postgres(connection, query, shape, params, limit + 1, before)
    else:
        match = fts5_match(query) if connection.dialect.name == "sqlite" else None
        params.update(fts=match, limit=limit + 1, before=before)
        statement = _plain(shape, fts5=match is not None, before=before is not None)
        ids = [row.id for row in connection.execute(statement, params)]
        rows = _load(connection, ids)
    more = len(rows) > limit
    rows = rows[:limit]
    return DiscussionPage(_hits(rows, query), rows[-1][0] if more and rows else None)


# Which filters a query has: by:, issue:, and in: as a thread/summary id or as title words.
# Statements are built once per shape and cached, their values bound: building one costs
# milliseconds (the public rules are four subqueries), as much as the search itself.
Shape = tuple[bool, bool, str | None]


def _shape(query: SearchQuery) -> Shape:
    thread = None
    if query.thread:
        text = query.thread.strip()
        thread = "id" if text.isdigit() and len(text) < 20 else "title"
    return (bool(query.summarizer), query.issue is not None, thread)


def _filter_values(query: SearchQuery) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if query.summarizer:
        values["by"] = query.summarizer
    if query.issue is not None:
        values["issue"] = query.issue
    if query.thread:
        text = query.thread.strip()
        if text.isdigit() and len(text) < 20:
            values["thread"] = int(text)
        else:
            values["title"] = "%" + "%".join(folded_words(text)) + "%"
    return values


@lru_cache(maxsize=64)
def _where(shape: Shape) -> tuple[Any, ...]:
    """What a hit must be: public (storage.web_archive), live, and what the filters ask."""
    return _where_on(shape, COMMENTS.c)


def _where_on(shape: Shape, c: Any, *, per_row: bool = False) -> tuple[Any, ...]:
    """_where on the columns `c` of comment (the table's, or a subquery's of the same names);
    `per_row`: the public rules looked up row by row (storage.web_archive.exists_of)."""
    by, issue, thread = shape
    out: list[Any] = [
        c.deleted.is_(False),
        c.is_starter.is_(False),
        public_thread(c.thread_id, per_row=per_row),
        ~hidden_author(c.author_id, per_row=per_row),
        exists_of(
            PUBS, PUBS.c.thread_id == c.thread_id, PUBS.c.summary_id.is_not(None), per_row=per_row
        ),
    ]
    if by:  # by: is the commenter here
        out.append(folded_equals(c.author_name, sa.bindparam("by", type_=sa.String())))
    if issue:
        out.append(
            c.thread_id.in_(
                sa.select(PUBS.c.thread_id)
                .join(SUMMARIES, SUMMARIES.c.id == PUBS.c.summary_id)
                .join(ISSUES, ISSUES.c.id == SUMMARIES.c.issue_id)
                .where(
                    ISSUES.c.number == sa.bindparam("issue", type_=sa.Integer()),
                    PUBS.c.thread_id.is_not(None),
                )
            )
        )
    if thread == "id":
        number = sa.bindparam("thread", type_=sa.BigInteger())
        by_summary = sa.select(PUBS.c.thread_id).where(
            PUBS.c.summary_id == number, PUBS.c.thread_id.is_not(None)
        )
        out.append(sa.or_(c.thread_id == number, c.thread_id.in_(by_summary)))
    elif thread == "title":
        out.append(
            c.thread_id.in_(
                sa.select(PUBS.c.thread_id)
                .join(SUMMARIES, SUMMARIES.c.id == PUBS.c.summary_id)
                .where(folded_like(SUMMARIES.c.title, sa.bindparam("title", type_=sa.String())))
                .where(PUBS.c.thread_id.is_not(None))
            )
        )
    return tuple(out)


def public_comments_on(connection: sa.Connection, thread_ids: Sequence[int]) -> list[Any]:
    """Every comment of these threads that discussion search can find (the same rules: the
    static site's index, web.search_index, holds exactly these): rows (id, thread_id,
    author_name, content, created_at)."""
    if not thread_ids:
        return []
    c = COMMENTS.c
    statement = (
        sa.select(c.id, c.thread_id, c.author_name, c.content, c.created_at)
        .where(*_where((False, False, None)), c.content.is_not(None))
        .where(c.thread_id.in_(sa.bindparam("threads", expanding=True)))
    )
    return list(connection.execute(statement, {"threads": list(thread_ids)}))


@lru_cache(maxsize=64)
def _plain(shape: Shape, *, fts5: bool, before: bool) -> Any:
    """Ids of hits, newest first, up to :limit below :before; with `fts5`, those matching
    `comment_fts MATCH :fts`."""
    c = COMMENTS.c
    where = list(_where(shape))
    source: Any = COMMENTS
    newest_first: Any = c.id.desc()
    cursor = sa.bindparam("before", type_=sa.BigInteger())
    if fts5:
        # comment_fts holds each comment at rowid -id (migration 0013): FTS5 hands out rowids
        # ascending, newest comment first, and the LIMIT stops the walk; the cursor is a rowid
        # range FTS5 starts from. (Ordering by comment.id instead sorted every match first,
        # seconds for a common word; a descending walk does not skip through a common word's
        # doclist in an AND.)
        fts = sa.table("comment_fts", sa.column("rowid", sa.BigInteger))
        source = COMMENTS.join(fts, c.id == -fts.c.rowid)
        fts_name: Any = sa.literal_column("comment_fts")
        where.append(fts_name.op("MATCH")(sa.bindparam("fts", type_=sa.String())))
        newest_first = fts.c.rowid.asc()
        if before:
            where.append(fts.c.rowid > -cursor)
    elif before:
        where.append(c.id < cursor)
    return (
        sa.select(c.id)
        .select_from(source)
        .where(*where)
        .order_by(newest_first)
        .limit(sa.bindparam("limit", type_=sa.Integer()))
    )


def _keyed(query: SearchQuery) -> bool:
    """Whether the index can find the query's rows: it has words, or a by: with words."""
    return query.has_text or bool(query.summarizer and words(query.summarizer))


def fts5_match(query: SearchQuery) -> str | None:
    """The FTS5 MATCH text, or None when the index has nothing to look up: every word in the
    content column and every phrase as its pairs in the keys column (storage.search.sqlite
    .fts5_part, as summary search), ANDed, exclusions NOTed; `by:` as the author column's term
    (the name folded without spaces, as migration 0010 indexes it; the SQL filter still
    decides exactly)."""
    parts = [fts5_part(t, column="content") for t in (*query.terms, *query.phrases) if words(t)]
    expression = " AND ".join(parts)
    excluded = [fts5_part(t, column="content") for t in query.excluded if words(t)]
    if parts and excluded:
        expression = f"({expression}) NOT ({' OR '.join(excluded)})"
    if query.summarizer and words(query.summarizer):
        author = "{author} : " + fts5_phrase(fold(query.summarizer).replace(" ", ""))
        expression = f"({expression}) AND {author}" if expression else author
    return expression or None


# PostgreSQL: comment.search_keys (migrations 0010, 0013) is keyed as summary.search_keys, so the
# query's words become summary search's tsquery (storage.search.postgres.tsquery: words, pair
# phrases, exclusions); by: is one lexeme of the whole folded name (anbot_name_key, the same SQL
# function on both sides); the newest matches come from the same window walk, over the comment
# ids' blocks (COMMENT_LEVELS).
_KEYS: Any = sa.literal_column("comment.search_keys")
_NO_CURSOR = 2**63 - 1  # above every id
_WORDS_ONLY = {"k_section": None, "k_authors": None, "k_prefix": False, "k_summarizer": None}
_BY: Any = sa.bindparam("by", type_=sa.String())
_ONE: Any = sa.literal_column("1", sa.Integer())  # in LIMIT and OFFSET, not bound (see _constant)
_ZERO: Any = sa.literal_column("0", sa.Integer())


def _tsqueries(shape: Shape) -> tuple[Any, Any]:
    """(what the GIN index is asked, the whole query): the words' lexemes without the most
    common ones (storage.search.postgres.index_tsquery), and every word, phrase and exclusion;
    with by:, each ANDed with the name's lexeme."""
    whole = pg_tsquery(_WORDS_ONLY)
    index = index_tsquery({}, others=shape[0])
    if not shape[0]:
        return index, whole
    name = sa.cast(sa.func.quote_literal(sa.func.anbot_name_key(_BY)), TSQUERY)
    return sa.func.anbot_both(index, name), sa.func.anbot_both(whole, name)


def _heads(picked: Any) -> Any:
    """HEADS of the rows of `picked` (a subquery of comment's columns id, thread_id,
    author_name, content, created_at): what a hit shows, its summary looked up per row."""
    pub = (
        sa.select(PUBS.c.summary_id)
        .where(PUBS.c.thread_id == picked.c.thread_id, PUBS.c.summary_id.is_not(None))
        .order_by(PUBS.c.id.desc())
        .limit(_ONE)
        .scalar_subquery()
    )
    title = (
        sa.select(SUMMARIES.c.title)
        .join(PUBS, PUBS.c.summary_id == SUMMARIES.c.id)
        .where(PUBS.c.thread_id == picked.c.thread_id)
        .order_by(PUBS.c.id.desc())
        .limit(_ONE)
        .scalar_subquery()
    )
    return sa.select(
        picked.c.id,
        picked.c.thread_id,
        picked.c.author_name,
        picked.c.content,
        picked.c.created_at,
        pub.label("summary_id"),
        title.label("title"),
    )


def _matching(shape: Shape, tsquery: Any, below: Any, walk: Any, given: list[Any]) -> Any:
    """The newest :need hits of `tsquery` below id `below` that the parts `given` (CTEs with
    an id column) did not give, as HEADS rows; `walk` is the statement's start (the CTE the
    tsquery reads; its `recheck`, when not NULL, is checked on every row the index gives).

    The limit matters for a common word: the first window of 1M comments (37 hours) holds
    1,200 rows with "the", and checking the public rules of each cost 12-15 ms. So the index's
    matches are sorted by id first (a fenced subquery: OFFSET 0 keeps PostgreSQL from walking
    the primary key backwards instead, seconds for a rare word) and the rules are checked only
    until :need rows pass; the summary of a hit is looked up only for those."""
    c = COMMENTS.c
    keys = _KEYS.op("@@", return_type=sa.Boolean)(tsquery)
    found = (
        sa.select(*_row(c))
        .select_from(COMMENTS.join(walk, sa.true()))
        .where(keys, sa.or_(walk.c.recheck.is_(None), _whole_matches(walk.c.recheck)))
        .order_by(c.id.desc())
        .offset(_ZERO)
        .subquery("found")
    )
    # `below` is checked out here, above the fence (PostgreSQL pushes no condition into a
    # subquery with OFFSET), so the limit counts only rows below it.
    ids = sa.union_all(*(sa.select(part.c.id) for part in given))
    return _picked(shape, found, found.c.id < below, found.c.id.not_in(ids))


def _whole_matches(tsquery: Any) -> Any:
    """Whether a comment's keys match `tsquery`, checked on the row: ts_match_vq is what `@@`
    calls, but as a function it is no index condition, so PostgreSQL does not hand the whole
    query (common words and all) to the GIN scan."""
    return sa.func.ts_match_vq(_KEYS, tsquery, type_=sa.Boolean)


def _row(c: Any) -> tuple[Any, ...]:
    """The comment columns a part reads: what the public rules and HEADS need."""
    return (
        c.id,
        c.thread_id,
        c.author_id,
        c.author_name,
        c.deleted,
        c.is_starter,
        c.content,
        c.created_at,
    )


def _picked(shape: Shape, found: Any, *where: Any) -> Any:
    """HEADS of the newest :need rows of `found` (a subquery of _ROW, newest first) that pass
    `where` and the public rules."""
    picked = (
        sa.select(
            found.c.id, found.c.thread_id, found.c.author_name, found.c.content, found.c.created_at
        )
        .where(*where, *_where_on(shape, found.c, per_row=True))
        .order_by(found.c.id.desc())
        .limit(sa.bindparam("need", type_=sa.Integer()))
        .subquery("picked")
    )
    return _heads(picked)


# Before any window, the walk reads the newest comments below the cursor in id order and checks
# the whole query on each row: for a word in most comments (w0 at 1M: 99%) the hits are there,
# and the windows never run (the newest window held ~1,400 matches, all read and sorted: 3-4 ms).
# A rarer word costs PROBE rows more (~1 µs each, read in order from a few heap pages). When
# the scan held fewer than :need hits it gave every hit among the rows it read, so the parts
# after it leave out the ids it gave rather than start below the oldest row it read (finding
# that row meant reading them all again: ~0.8 ms for by:'s 300, through the name btree).
PROBE = 100

# by: a member. The member's comments are few (1 in 300 at 1M comments), so the windows of ids
# held too few hits for a common word, and the last part read every older match of the word and
# the name (~1,900 heap rows, 10-13 ms). Instead the walk first reads the member's MEMBER_SCAN
# newest comments below the cursor through the btree on (anbot_name_key(author_name), id DESC)
# (migration 0015), newest first, checking the tsquery on each and stopping at :need hits; only
# when those rows held too few does the rest (the GIN match of the words and the name) run. That
# bounds both parts: at most MEMBER_SCAN rows read in order, and the rest only for a word in
# under need/MEMBER_SCAN of the member's comments (at 1M comments ≤ ~230 heap rows).
MEMBER_SCAN = 300


def _name_key(value: Any) -> Any:
    return sa.func.anbot_name_key(value)


def _in_order(select: Any, below: Any, *, member: bool) -> Any:
    """`select` (of comment) restricted to the newest rows below `below`: PROBE of them, or
    with `member` the :by member's MEMBER_SCAN newest (through the name btree)."""
    c = COMMENTS.c
    select = select.where(c.id < below)
    if not member:
        return select.order_by(c.id.desc()).limit(PROBE)
    return (
        select.where(_name_key(c.author_name) == _name_key(_BY))
        .order_by(_name_key(c.author_name), c.id.desc())
        .limit(MEMBER_SCAN)
    )


def _scan(shape: Shape, below: Any, walk: Any, *, member: bool) -> Any:
    """The newest :need hits among the rows _in_order reads, as HEADS rows (the whole query
    checked on each row)."""
    c = COMMENTS.c
    hit = _whole_matches(walk.c.whole).label("hit")
    found = _in_order(
        sa.select(*_row(c), hit).select_from(COMMENTS.join(walk, sa.true())), below, member=member
    ).subquery("found")
    return _picked(shape, found, found.c.hit)


# After the scan, the windows, newest ids first, each part only when the parts before it held
# fewer than :need hits (a one-time filter on their counts: PostgreSQL does not run a part whose
# gate is false), leaving out the rows the parts before gave:
# - the newest 2 units (blocks of 2**48 ids, 18.6 hours of snowflakes: ~1,400 comments at 1M
#   over three years);
# - the next SECOND_UNITS units, only when the newest window's hits say they would fill the
#   page: GIN reads every entry of their 14 small blocks (~9,800 at 1M, ~1.2-1.5 ms);
# - THIRD_BLOCKS blocks of 2**THIRD_LEVEL ids (32 units each) from the unit below the newest
#   window: large blocks, so GIN reads the entries of the query's rarest lexeme and skips
#   through the blocks'; 97-128 units;
# - then all the rest below them at once.
# A part reads the heap rows of its window's matches only (~3 µs each). A word in ~1,000
# comments at 1M (`w64 w13`) went through all three windows and read 965 heap rows in the rest
# (~6 ms on the server); now the third window alone (~2 ms), and the rest runs only for a word in
# under ~200 comments, which it reads whole.
SECOND_UNITS = 14
THIRD_LEVEL = 53
THIRD_BLOCKS = 4


def _blocks(newest: Any, level: int, count: int) -> Any:
    """The tsquery of the blocks of 2**level ids numbered `newest`, `newest - 1`, … (`count`
    of them, ORed)."""
    text: Any = None
    for k in range(count):
        number = newest - _constant(k) if k else newest
        lexeme = _constant(f"'{BLOCK}{level}:") + sa.cast(number, sa.Text()) + _constant("'")
        text = lexeme if text is None else text + _constant(" | ") + lexeme
    return sa.cast(text, TSQUERY)


def _constant(value: str | int) -> Any:
    """`value` written into the statement, not bound: the walk's constants were ~90 parameters,
    each converted on both sides of every search (a third of the statement's fixed cost)."""
    if isinstance(value, int):
        return sa.literal_column(str(value), sa.BigInteger())
    return sa.literal_column("'" + value.replace("'", "''") + "'", sa.Text())


@lru_cache(maxsize=64)
def _walk(shape: Shape, *, before: bool) -> Any:
    """The newest :need hits below :below (the cursor; :before, the same or NULL, for the
    start), as HEADS rows in no order: the newest rows in id order (PROBE, or the member's
    MEMBER_SCAN for by:), then below them the GIN index (by: the rest at once; else windows,
    SECOND_UNITS)."""
    cursor = sa.bindparam("before", type_=sa.BigInteger()) if before else None
    index, whole = _tsqueries(shape)
    walk = sa.select(start(index, COMMENTS.c.id, before=cursor, whole=whole)).cte("walk")
    level = COMMENT_LEVELS.start

    def shift(value: Any, op: str, bits: int) -> Any:
        return value.op(op)(sa.literal_column(str(bits), sa.Integer()))

    unit = shift(walk.c.top, ">>", level)
    base = sa.cast(walk.c.base, TSQUERY)
    cursor_end = sa.bindparam("below", type_=sa.BigInteger())
    need = sa.bindparam("need", type_=sa.Integer())
    member = shape[0]

    def total(parts: list[Any]) -> Any:
        out: Any = None
        for part in parts:
            out = count(part) if out is None else out + count(part)
        return out

    def count(part: Any) -> Any:
        return sa.select(sa.func.count()).select_from(part).scalar_subquery()

    scan = _scan(shape, cursor_end, walk, member=member).cte("scan")
    parts = {"scan": scan}

    def add(
        name: str, window: Any, end: Any, *, skip: tuple[str, ...] = (), when: Any = None
    ) -> None:
        """The part `name`: the newest hits in `window` (a tsquery of blocks; None: all) below
        `end` and not given by the parts `skip` (besides the scan), run only when the parts
        before it held fewer than :need hits (and `when`)."""
        tsquery = base if window is None else base.op("&&", return_type=TSQUERY)(window)
        given = [parts[p] for p in ("scan", *skip)]
        gate = total(list(parts.values())) < need
        part = _matching(shape, tsquery, end, walk, given)
        parts[name] = part.where(gate if when is None else sa.and_(gate, when)).cte(name)

    if member:  # the rest of the member's matches at once
        add("rest", None, cursor_end)
    else:
        below_newest = sa.func.least(cursor_end, shift(unit - 1, "<<", level))
        third = shift(unit - 2, ">>", THIRD_LEVEL - level)  # its block holding the next unit
        add("newest", _blocks(unit, level, 2), cursor_end)
        # Only when the newest window's hits say it would fill the page (the rest of it).
        expected = count(scan) + count(parts["newest"]) * (1 + SECOND_UNITS // 2)
        add("second", _blocks(unit - 2, level, SECOND_UNITS), below_newest, when=expected >= need)
        add("third", _blocks(third, THIRD_LEVEL, THIRD_BLOCKS), below_newest, skip=("second",))
        rest_end = shift(third - (THIRD_BLOCKS - 1), "<<", THIRD_LEVEL)
        add("rest", None, sa.func.least(cursor_end, rest_end))
    return sa.union_all(*(sa.select(part) for part in parts.values()))


def _newest_postgres(
    connection: sa.Connection,
    query: SearchQuery,
    shape: Shape,
    params: dict[str, Any],
    need: int,
    before: int | None,
) -> list[Any]:
    """The HEADS rows of the newest `need` hits below `before`, newest first: one statement."""
    below = _NO_CURSOR if before is None else before
    common, shares = common_lexemes(connection, "comment", "search_keys")
    params = {
        **params,
        **key_params(query),
        "k_common": common,
        "k_shares": shares,
        "before": before,
        "need": need,
        "below": below,
    }
    rows = connection.execute(_walk(shape, before=before is not None), params).all()
    return sorted(rows, key=lambda row: row[0], reverse=True)[:need]


@lru_cache(maxsize=1)
def _by_id() -> Any:
    """HEADS rows by id (:ids, expanding): built once, its compiled form cached."""
    c = COMMENTS.c
    picked = (
        sa.select(c.id, c.thread_id, c.author_name, c.content, c.created_at)
        .where(c.id.in_(sa.bindparam("ids", expanding=True)))
        .subquery("picked")
    )
    return _heads(picked)


def _load(connection: sa.Connection, ids: list[int]) -> list[Any]:
    """HEADS rows of `ids`, in their order (a row deleted meanwhile is left out)."""
    if not ids:
        return []
    found = {row[0]: row for row in connection.execute(_by_id(), {"ids": ids})}
    return [found[i] for i in ids if i in found]


def _hits(rows: Sequence[Any], query: SearchQuery) -> list[DiscussionHit]:
    """The hits of HEADS rows (id, thread_id, author_name, content, created_at, summary_id,
    title), in their order."""
    matcher = Matcher.for_query(query) if query.has_text else None
    hits: list[DiscussionHit] = []
    for id_, thread_id, author_name, content, created_at, summary_id, title in rows:
        if summary_id is None or title is None:  # its summary went away meanwhile
            continue
        text = content or ""
        created = as_utc(created_at)
        assert created is not None
        hits.append(
            DiscussionHit(
                comment_id=id_,
                thread_id=thread_id,
                summary_id=summary_id,
                summary_title=title,
                author_name=author_name or "someone",
                created_at=created,
                snippet=snippet(text, matcher) if matcher else lead(text),
            )
        )
    return hits

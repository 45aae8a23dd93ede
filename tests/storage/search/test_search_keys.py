"""storage.search.keys (pure) and what it changes in search: phrases and filters exactly as before.

The keys column only makes phrases and filters cheaper; these tests pin that it does not make
them looser (a phrase is its words side by side in one column, a filter is its column's words)
and that the column follows every write: insert, update, delete, and rows from before 0004.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command

from storage.db import Database
from storage.models import Summary
from storage.search import search_summaries
from storage.search.keys import (
    BREAK,
    FILTER_COLUMNS,
    JOIN,
    filter_key,
    key_text,
    phrase_key,
)
from storage.search.query import parse_query
from storage.search.text import folded_words as folded
from storage.search.text import stems
from storage.sql import table_of

SUMMARIES = table_of(Summary)


def test_words_are_folded_as_fts5_folds_them() -> None:
    assert folded("Naïve CAFÉ Über-thinking test_case") == [
        "naive",
        "cafe",
        "uber",
        "thinking",
        "test",
        "case",
    ]
    # Porter stems, except for words FTS5's porter leaves alone (under 3 letters).
    assert stems("generalizes but s distributions") == ["gener", "but", "s", "distribut"]


def test_keys_pair_adjacent_words_within_a_column_and_tag_filter_columns() -> None:
    keys = key_text("Reward models", "Jan Leike", None, "Deep learning", "Models generalize", "")
    tokens = keys.split()
    assert f"reward{JOIN}model" in tokens and f"model{JOIN}gener" in tokens
    # "models" (end of the title) and "Models" (start of the summary) are not a pair...
    assert f"model{JOIN}model" not in tokens
    # ...and a break token stands between the columns, so pairs of two columns never chain.
    assert tokens.count(BREAK) >= 2
    section, authors = FILTER_COLUMNS["section"], FILTER_COLUMNS["authors"]
    assert f"{section}deep" in tokens and f"{section}learning" in tokens
    assert f"{authors}jan" in tokens and f"{authors}leike" in tokens
    assert not any(t.startswith(FILTER_COLUMNS["summarizer"]) for t in tokens)  # NULL: none


def test_keys_take_whatever_sqlite_hands_over() -> None:
    assert key_text(None, None, None, None, None, None) == ""
    assert f"abc{JOIN}def" in key_text(b"abc def", 12, None, "", "", "").split()
    assert "12" not in key_text(12, None, None, None, None, None)  # one word: no pair


def test_query_side_keys() -> None:
    assert phrase_key("word") is None  # one word needs no pair
    assert phrase_key("generalize but") == f'"gener{JOIN}but"'
    assert phrase_key("a b c") == f'"a{JOIN}b b{JOIN}c"'
    tag = FILTER_COLUMNS["authors"]
    assert filter_key("authors", "Steinh", prefix=True) == f'"{tag}steinh"*'
    assert filter_key("authors", "cousin_it", prefix=True) == f'"{tag}cousin {tag}it"'  # "it" whole
    assert filter_key("section", "Deep", prefix=False) == f'"{FILTER_COLUMNS["section"]}deep"'
    assert filter_key("section", "!!") is None


def _row(id_: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": id_,
        "issue_id": None,
        "position": id_,
        "dedupe_key": f"k{id_}",
        "section": "Technical AI alignment",
        "title": f"Title {id_}",
        "authors": None,
        "summarizer": None,
        "summary": "",
        "opinions": [],
        "cross_refs": [],
        "highlight": False,
        "source": "test",
        "updated_at": datetime(2024, 1, 1, tzinfo=UTC),
    }
    row.update(values)
    return row


async def _ids(db: Database, text: str) -> set[int]:
    page = await search_summaries(db, parse_query(text), limit=50)
    return {hit.summary.id or 0 for hit in page.hits}


ROWS = [
    _row(1, summary="Models generalize poorly, but only in distribution."),
    _row(2, summary="Models generalize: poorly, but only in distribution."),  # punctuation
    _row(3, summary="Poorly trained models generalize to new tasks."),  # both words, apart
    _row(4, title="Why models generalize", summary="Poorly, nobody knows why."),  # two columns
    _row(5, opinions=[{"by": "Rohin", "text": "It does generalize poorly and slowly."}]),
    _row(6, section="Deep learning", summary="Scaling laws."),
    _row(7, section="Learning, deep", summary="Scaling laws."),
    _row(8, section="Technical AI alignment", summary="Deep learning scaling laws."),
    _row(9, authors="Jacob Steinhardt, cousin_it", summary="Scaling laws."),
    _row(10, authors="Itai Cousins", summary="Scaling laws."),
]


async def test_phrases_and_filters_match_exactly(db: Database) -> None:
    async with db.connect() as conn:
        await conn.execute(sa.insert(SUMMARIES), ROWS)
    assert await _ids(db, '"generalize poorly"') == {1, 2, 5}
    assert await _ids(db, '"models generalize poorly"') == {1, 2}
    assert await _ids(db, 'generalize -"generalize poorly"') == {3, 4}
    assert await _ids(db, 'scaling section:"deep learning"') == {6}
    assert await _ids(db, 'section:"deep learning"') == {6}
    assert await _ids(db, "scaling author:Steinh") == {9}
    assert await _ids(db, "scaling author:cousin_it") == {9}
    assert await _ids(db, "laws author:Cousins") == {10}


async def test_keys_follow_updates_and_deletes(db: Database) -> None:
    async with db.connect() as conn:
        await conn.execute(sa.insert(SUMMARIES), ROWS)
        await conn.execute(
            sa.update(SUMMARIES)
            .where(SUMMARIES.c.id == 3)
            .values(summary="They generalize and forget.", section="Deep learning")
        )
        await conn.execute(sa.delete(SUMMARIES).where(SUMMARIES.c.id == 1))
    assert await _ids(db, '"generalize poorly"') == {2, 5}
    assert await _ids(db, 'section:"deep learning"') == {3, 6}


async def test_rows_from_before_the_keys_column_are_keyed_by_the_upgrade(
    sqlite_url: str,
) -> None:
    db = Database(sqlite_url)
    try:
        await db.upgrade("0003")
        async with db.connect() as conn:
            await conn.execute(sa.insert(SUMMARIES), ROWS)
        await db.upgrade()
        assert await _ids(db, '"generalize poorly"') == {1, 2, 5}
        # A stopword inside a phrase counts here (PostgreSQL's parser drops it from a phrase).
        assert await _ids(db, '"only in distribution"') == {1, 2}
        assert await _ids(db, 'scaling section:"deep learning"') == {6}
        await _downgrade(db, "0003")  # and back: the table without the column searches again
        async with db.connect() as conn:
            found = await conn.execute(
                sa.text("SELECT rowid FROM summary_fts WHERE summary_fts MATCH :q"),
                {"q": '"generalize poorly"'},
            )
            assert {row[0] for row in found} == {1, 2, 5}
    finally:
        await db.dispose()


async def _downgrade(db: Database, revision: str) -> None:
    cfg = db.alembic_config()

    def run(conn: sa.Connection) -> None:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)

    async with db.connect() as conn:
        await conn.run_sync(run)


async def test_postgres_keys_keep_phrases_in_one_field_and_downgrade_to_0005(
    pg_db: Database,
) -> None:
    """Migration 0006's keys pair words within one column: "generalize poorly" is not row 4,
    whose title ends in "generalize" and whose summary starts with "Poorly" (0005 fixed the same
    in search_vector). The downgrade gives 0005's vector back, the upgrade the keys again."""
    async with pg_db.connect() as conn:
        await conn.execute(sa.insert(SUMMARIES), ROWS)
    assert await _ids(pg_db, '"generalize poorly"') == {1, 2, 5}
    # Stopwords are words here too ("in" was dropped by the english configuration).
    assert await _ids(pg_db, '"only in distribution"') == {1, 2}
    await _downgrade(pg_db, "0005")
    async with pg_db.connect() as conn:
        found = await conn.execute(
            sa.text(
                "SELECT id FROM summary"
                " WHERE search_vector @@ phraseto_tsquery('english', 'generalize poorly')"
            )
        )
        assert {row[0] for row in found} == {1, 2, 5}
    await pg_db.upgrade()
    assert await _ids(pg_db, '"generalize poorly"') == {1, 2, 5}
    assert await _ids(pg_db, "scaling author:Steinh") == {9}

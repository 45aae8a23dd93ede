"""Migration 0016's anbot_index_query: what of a query PostgreSQL's GIN index is asked.

A lexeme in most rows costs the index a walk through its whole posting list for every rare
match (`w395 w0`: 12-14 ms at 1M comments, `w395` alone 3-4 ms), so the most common lexemes
are left out while what is left out still lets through `least_share` of the rows, and the rows
are checked against the whole query (storage.search.discussions).
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from storage.db import Database
from storage.search.keys import JOIN
from tests.storage.search.migration_source import load_migration


async def _index_query(
    db: Database, parts: list[str], common: dict[str, float], *, others: bool = False
) -> str | None:
    async with db.connect() as conn:
        value = await conn.execute(
            sa.text(
                "SELECT CAST(anbot_index_query('anbot_words'::regconfig, :parts, :common,"
                " CAST(:shares AS real[]), 0.3, :others) AS text)"
            ),
            {
                "parts": parts,
                "common": list(common),
                "shares": list(common.values()),
                "others": others,
            },
        )
        return value.scalar_one()


async def test_common_lexemes_are_left_out_rarest_kept(pg_db: Database) -> None:
    db = pg_db
    # Nothing common: every lexeme (stems; a phrase's pairs), most common first, then by name.
    assert await _index_query(db, ["Walking", '"reward models"'], {}) == (
        f"'reward{JOIN}model' & 'walk'"
    )
    # A word in 99% of rows is left out; the rare word stays.
    assert await _index_query(db, ["okapi", "the"], {"the": 0.99}) == "'okapi'"
    # Every word common: the rarest is kept (the index must be asked something)...
    assert await _index_query(db, ["the", "of"], {"the": 0.99, "of": 0.8}) == "'of'"
    # ...unless the caller ANDs another lexeme (by:'s name): then none is.
    assert await _index_query(db, ["the", "of"], {"the": 0.99, "of": 0.8}, others=True) is None
    # What is left out must let through 30% of the rows: 0.6 and 0.45 (0.27 together) not both.
    assert (
        await _index_query(db, ["okapi", "and", "of"], {"and": 0.6, "of": 0.45}) == "'of' & 'okapi'"
    )
    # A word below the share is kept even when a more common one was left out before it.
    assert (
        await _index_query(db, ["okapi", "the", "yak"], {"the": 0.9, "yak": 0.2})
        == "'yak' & 'okapi'"
    )
    # A phrase's pair is a lexeme like any other.
    pair = f"the{JOIN}of"
    assert await _index_query(db, ['"the of"', "okapi"], {pair: 0.5}) == "'okapi'"
    assert await _index_query(db, [], {}) is None


def _sql_helpers() -> list[str]:
    """The helpers as 0006 (anbot_stems, anbot_pairs, anbot_and) and 0011 (anbot_tags) wrote
    them in SQL, renamed *_sql."""
    names = ("anbot_stems", "anbot_pairs", "anbot_and")
    created = [
        text
        for text in load_migration("0006_search_keys_postgres.py")._FUNCTIONS
        if any(f"FUNCTION {name}(" in text for name in names)
    ]
    created.append(load_migration("0011_search_folding.py")._TAGS.format(config="anbot_names"))
    assert len(created) == 4
    return [re.sub(r"FUNCTION (anbot_\w+)\(", r"FUNCTION \1_sql(", text) for text in created]


TEXTS = [
    "",
    "   ",
    "Reward modeling, and the reward models' rewards",
    "Naïve Schölkopf — Gagné's ÉLAN (AN #45): GPT-3 vs gpt3",
    "O'Brien \\ back\\slash 'quotes' and \"double\"",
    "a b c d e f g h i j k l m n o p",
    "日本語 テキスト and ß",
]


async def test_helpers_in_plpgsql_answer_as_the_sql_ones(pg_db: Database) -> None:
    """0016 turned the query helpers into PL/pgSQL (their plans kept for the session instead of
    a transaction); each must answer exactly as 0006's and 0011's SQL functions did, created
    beside them under other names."""
    db = pg_db
    helpers = ["anbot_stems", "anbot_pairs", "anbot_tags", "anbot_and"]
    async with db.connect() as conn:
        languages = await conn.execute(
            sa.text(
                "SELECT proname, lanname FROM pg_proc JOIN pg_language l ON l.oid = prolang"
                " WHERE pronamespace = current_schema()::regnamespace"
                " AND proname = ANY(:names)"
            ),
            {"names": helpers},
        )
        assert dict(languages.all()) == dict.fromkeys(helpers, "plpgsql")
        for created in _sql_helpers():
            await conn.exec_driver_sql(created)
        compare = sa.text(
            "SELECT anbot_stems('anbot_words', :t) = anbot_stems_sql('anbot_words', :t),"
            " anbot_pairs(anbot_stems('anbot_words', :t))"
            "   = anbot_pairs_sql(anbot_stems('anbot_words', :t)),"
            " anbot_tags('x', :t) = anbot_tags_sql('x', :t),"
            " anbot_and(anbot_tags('', :t), true)::text"
            "   IS NOT DISTINCT FROM anbot_and_sql(anbot_tags('', :t), true)::text,"
            " cardinality(anbot_pairs(anbot_stems('anbot_words', :t)))"
        )
        pairs = 0
        for text in [*TEXTS, None]:
            row = (await conn.execute(compare, {"t": text})).one()
            assert row[:4] == (True, True, True, True), (text, row)
            pairs += row[4]
        assert pairs > 20  # not vacuous: the texts have stems and pairs

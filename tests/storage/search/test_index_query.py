"""Migration 0016's anbot_index_query: what of a query PostgreSQL's GIN index is asked.

A lexeme in most rows costs the index a walk through its whole posting list for every rare
match (`w395 w0`: 12-14 ms at 1M comments, `w395` alone 3-4 ms), so the most common lexemes
are left out while what is left out still lets through `least_share` of the rows, and the rows
are checked against the whole query (storage.search.discussions).
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.db import Database
from storage.search.keys import JOIN


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

"""One tokenizer, one folding rule: the same queries give the same answers on both backends.

Words are runs of letters and digits (`_` separates them), folded fully (casefold) and without
diacritics, on the query and the indexed text alike (issue 11: `author:cousin_it` asked
PostgreSQL for the two-letter prefix `it:*`; issue 12: `author:LÉON` found nothing on SQLite,
`Scholkopf` nothing on PostgreSQL).
"""

from __future__ import annotations

import sqlalchemy as sa

from storage.db import Database
from storage.search import parse_query, search_summaries
from storage.search import postgres as pg
from storage.search import sqlite as lite
from storage.search.text import fold, folded_words, stems, words
from tests.storage.search.test_search_keys import SUMMARIES, _row

ROWS = [
    _row(
        1,
        title="Naïve Bayes, revisited",
        authors="Léon Bottou, Bernhard Schölkopf",
        summarizer="Zoë",
        section="Réseaux profonds",
        summary="A naïve approach.",
    ),
    _row(2, authors="Jean-Francois Gagné", summary="Talent report."),
    _row(3, authors="Yann Leon", summary="Scaling laws."),
    _row(4, authors="cousin_it", summary="Scaling laws."),
    _row(5, authors="Cousin Itzhak", summary="Scaling laws."),
    _row(6, authors="Hans Straße", summary="Scaling laws."),
]

# query -> ids, the same on both backends
EXPECTED = {
    "author:LÉON": {1, 3},
    "author:léon": {1, 3},
    "author:Leon": {1, 3},
    "author:Scholkopf": {1},
    "author:SCHÖLKOPF": {1},
    "Scholkopf": {1},
    "Gagne": {2},
    "gagné": {2},
    "author:gagne": {2},
    "naive": {1},
    "naïve": {1},
    '"naive bayes"': {1},
    "by:ZOE": {1},
    "by:zoë": {1},
    'section:"reseaux profonds"': {1},
    "section:RÉSEAUX": {1},
    "scaling author:cousin_it": {4},
    "author:STRASSE": {6},
}


def test_fold_is_full_casefold_without_diacritics() -> None:
    assert fold("LÉON Schölkopf Gagné NAÏVE Straße") == "leon scholkopf gagne naive strasse"
    assert folded_words("Naïve CAFÉ Über-thinking test_case") == [
        "naive",
        "cafe",
        "uber",
        "thinking",
        "test",
        "case",
    ]
    # The parser's words and the index's words are cut alike: `_` separates.
    assert words("cousin_it") == ["cousin", "it"]
    assert stems("Generalizes distributions") == ["gener", "distribut"]


def test_underscore_splits_query_terms_as_the_index_does() -> None:
    assert parse_query("author:cousin_it").author == "cousin_it"
    assert parse_query("foo_bar").phrases == ["foo bar"]


async def test_author_prefix_never_shorter_than_four_letters(db: Database) -> None:
    """`author:cousin_it` ends in the two-letter word "it": matched whole, never as `it*`."""
    query = parse_query("scaling author:cousin_it")
    if db.dialect == "postgresql":
        params = pg.key_params(query)
        async with db.connect() as conn:
            text = await conn.scalar(sa.select(sa.cast(pg.tsquery(params), sa.Text())))
        assert text is not None and "cousin" in text
        assert ":*" not in text
    else:
        expression = lite.filter_expression(query)
        assert expression is not None and "cousin" in expression
        assert "*" not in expression
    # Steinh still matches as a prefix (four letters or more).
    long = parse_query("author:Steinh")
    if db.dialect == "postgresql":
        async with db.connect() as conn:
            text = await conn.scalar(sa.select(sa.cast(pg.tsquery(pg.key_params(long)), sa.Text())))
        assert text is not None and text.endswith(":*")
    else:
        assert 'steinh"*' in (lite.filter_expression(long) or "")


async def test_same_answers_on_both_backends(db: Database) -> None:
    async with db.connect() as conn:
        await conn.execute(sa.insert(SUMMARIES), ROWS)
    found = {}
    for text in EXPECTED:
        page = await search_summaries(db, parse_query(text), limit=50)
        found[text] = {hit.summary.id for hit in page.hits}
    assert found == EXPECTED

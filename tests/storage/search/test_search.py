"""storage.search on both backends, over the real summaries database."""

from __future__ import annotations

from storage.db import Database
from storage.search import SearchPage, search_summaries
from storage.search.query import QuerySyntaxError, parse_query
from storage.search.sqlite import fts5_expression

NASTY = [
    '"',
    '""',
    "*",
    "NEAR(",
    "NEAR(a b)",
    "AND OR",
    "NOT",
    "'; DROP TABLE summary; --",
    "title:x",
    "a:b",
    "^start",
    "col : x",
    "(((",
    "x)",
    "100%",
    "_under_score_",
    "日本語 ёлка ünïcödé",
    "emoji 🚀 rocket",
    "section:%",
    "author:_",
    "by:'",
    "issue:99999999999",
    "issue:2147483648",
    "-",
    "- -",
    "\\",
    "a\\b",
    "{}[]",
    "\u200b",
]


async def _search(db: Database, text: str, **kw: int) -> SearchPage:
    return await search_summaries(db, parse_query(text), **kw)


async def test_search_over_the_summaries_database(full_db: Database) -> None:
    page = await _search(full_db, "HARKing")
    assert page.total >= 1
    top = page.hits[0]
    assert top.summary.title.startswith("HARK Side of Deep Learning")
    assert top.issue_label == "AN #56" and top.rank > 0
    assert "**" in top.snippet  # the match is marked

    by_cody = await _search(full_db, 'section:"learning human intent" by:cody', limit=100)
    assert by_cody.total == len(by_cody.hits) > 0
    for hit in by_cody.hits:
        assert "learning human intent" in hit.summary.section.lower()
        assert (hit.summary.summarizer or "").lower() == "cody"

    hanson = await _search(full_db, "author:Hanson agency")
    assert hanson.hits[0].summary.title == "Agency Failure AI Apocalypse?"

    issue = await _search(full_db, "issue:56", limit=50)
    assert issue.total == 12 and {h.issue_number for h in issue.hits} == {56}

    phrase = await _search(full_db, '"grad student descent"', limit=50)
    assert any(h.summary.title.startswith("HARK Side") for h in phrase.hits)

    everything = await _search(full_db, "reward", limit=1)
    fewer = await _search(full_db, "reward -learning", limit=1)
    assert 0 < fewer.total < everything.total

    await _ranking_prefers_titles(full_db)
    await _paging(full_db)
    await _nasty_inputs(full_db)


async def _ranking_prefers_titles(full_db: Database) -> None:
    page = await _search(full_db, "Translatotron", limit=3)
    assert page.hits[0].summary.title.startswith("Introducing Translatotron")


async def _paging(full_db: Database) -> None:
    first = await _search(full_db, "by:Rohin", limit=5)
    second = await _search(full_db, "by:Rohin", limit=5, offset=5)
    assert first.total == second.total > 10
    ids = [h.summary.id for h in first.hits + second.hits]
    assert len(set(ids)) == 10
    beyond = await _search(full_db, "by:Rohin", offset=first.total)
    assert beyond.hits == [] and beyond.total == first.total


async def _nasty_inputs(full_db: Database) -> None:
    """Every input gives results or QuerySyntaxError, never a database error."""
    for text in NASTY:
        try:
            query = parse_query(text)
        except QuerySyntaxError:
            continue
        page = await search_summaries(full_db, query)
        assert page.total >= len(page.hits)


async def test_empty_database(db: Database) -> None:
    page = await _search(db, "anything")
    assert page.total == 0 and page.hits == []


def test_fts5_expression_quotes_every_word() -> None:
    query = parse_query('NEAR( "a b" c')
    # A phrase is its word pairs in the keys column (storage.search.keys), joined by a
    # private-use character.
    assert fts5_expression(query) == '"NEAR" AND "c" AND ({keys} : "a\ue000b")'

"""storage.search's bounded work on both backends: capped counts, broad-query tiers, stopwords."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import Database
from storage.importer import import_database
from storage.query import parse_query, words
from storage.search import COUNT_CAP, RANK_LIMIT, SearchPage, search_summaries


@pytest.fixture
async def full_db(db: Database, data_dir: Path) -> Database:
    await import_database(db, data_dir / "an-summaries-database.csv")
    return db


async def _search(db: Database, text: str, **kw: int) -> SearchPage:
    async with db.session() as session:
        return await search_summaries(session, parse_query(text), **kw)


def _title_has(hit_title: str, stem: str) -> bool:
    return any(w.lower().startswith(stem) for w in words(hit_title))


async def test_bounded_search(full_db: Database) -> None:
    # "the" is in nearly every one of the 1,956 rows (a stopword on PostgreSQL: found by the
    # whole-word fallback there): the count stops at the cap and says so.
    common = await _search(full_db, "the", limit=3)
    assert common.total == COUNT_CAP and common.total_is_estimate
    assert common.total_text == f"{COUNT_CAP:,}+" and len(common.hits) == 3
    assert not common.ranked
    deep = await _search(full_db, "the", limit=3, offset=COUNT_CAP + 50)
    assert len(deep.hits) == 3  # paging past the cap still finds rows: nothing is lost

    # "agent": more matches than are ranked, fewer than the cap: exact count, title tier
    # first (newest first), then the rest; pages do not overlap.
    broad = await _search(full_db, "agent", limit=10)
    assert RANK_LIMIT < broad.total <= COUNT_CAP and not broad.total_is_estimate
    assert not broad.ranked
    assert all(_title_has(h.summary.title, "agent") for h in broad.hits)
    ids = [h.summary.id or 0 for h in broad.hits]
    assert ids == sorted(ids, reverse=True)
    seen: set[int] = set()
    offset = 0
    crossed = False
    while offset < broad.total:
        page = await _search(full_db, "agent", limit=100, offset=offset)
        page_ids = {h.summary.id or 0 for h in page.hits}
        assert not page_ids & seen
        seen |= page_ids
        crossed |= any(not _title_has(h.summary.title, "agent") for h in page.hits)
        offset += 100
    assert len(seen) == broad.total and crossed  # every match once, title tier then the rest

    # A narrow query is ranked: the title match comes first, ranks descend.
    narrow = await _search(full_db, "HARKing", limit=5)
    assert narrow.ranked and narrow.total <= RANK_LIMIT
    ranks = [h.rank for h in narrow.hits]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > 0

    # Exclusions and filters hold in the broad tiers too.
    excluded = await _search(full_db, "agent -reward", limit=100)
    assert 0 < excluded.total < broad.total
    for hit in excluded.hits:
        assert not any(w.lower().startswith("reward") for w in words(hit.summary.summary))
    by_rohin = await _search(full_db, "agent by:Rohin", limit=50)
    assert by_rohin.total > 0
    assert all((h.summary.summarizer or "").lower() == "rohin" for h in by_rohin.hits)

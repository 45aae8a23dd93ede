"""storage.search's bounded work on both backends: capped counts, ordering, paging, filters."""

from __future__ import annotations

from storage.db import Database
from storage.search import CANDIDATES, SearchPage, search_summaries
from storage.search.query import parse_query
from storage.search.text import words


async def _search(db: Database, text: str, **kw: int) -> SearchPage:
    return await search_summaries(db, parse_query(text), **kw)


def _has(text: str | None, stem: str) -> bool:
    return any(w.lower().startswith(stem) for w in words(text or ""))


async def _all_ids(db: Database, text: str, total: int) -> list[int]:
    ids: list[int] = []
    for offset in range(0, total, 100):
        page = await _search(db, text, limit=100, offset=offset)
        ids += [h.summary.id or 0 for h in page.hits]
    return ids


async def test_a_common_word_stops_counting_at_the_cap(full_db: Database) -> None:
    # "the" is in nearly every one of the 1,956 rows (a stopword on PostgreSQL: found by the
    # whole-word fallback there): the walk stops after the newest CANDIDATES and says so.
    common = await _search(full_db, "the", limit=3)
    assert common.total == CANDIDATES and common.total_is_estimate and not common.ranked
    assert common.total_text == f"{CANDIDATES:,}+" and len(common.hits) == 3
    # Paging past the cap still finds rows, newest first, none twice: nothing is lost.
    deep = await _search(full_db, "the", limit=3, offset=CANDIDATES + 50)
    later = await _search(full_db, "the", limit=3, offset=CANDIDATES + 53)
    deep_ids = [h.summary.id or 0 for h in deep.hits]
    later_ids = [h.summary.id or 0 for h in later.hits]
    assert len(deep_ids) == 3 and deep_ids == sorted(deep_ids, reverse=True)
    assert max(later_ids) < min(deep_ids)
    # A page across the cap: the end of the ordered candidates, then the newest of the rest.
    across = await _search(full_db, "the", limit=10, offset=CANDIDATES - 5)
    first_page_ids = {h.summary.id for h in (await _search(full_db, "the", limit=100)).hits}
    assert len(across.hits) == 10 and not {h.summary.id for h in across.hits} & first_page_ids


async def test_title_matches_come_first_then_people_then_newest(full_db: Database) -> None:
    # "imitation": fewer matches than the cap, so the count is exact and every match ordered.
    broad = await _search(full_db, "imitation", limit=CANDIDATES)
    assert 0 < broad.total <= CANDIDATES and not broad.total_is_estimate and broad.ranked
    tiers = [_has(h.summary.title, "imitat") for h in broad.hits]
    assert tiers[0] and not tiers[-1]
    assert tiers == sorted(tiers, reverse=True)  # every title match before any other
    titled = [h for h in broad.hits if tiers[broad.hits.index(h)]]
    ids = [h.summary.id or 0 for h in titled]
    assert ids == sorted(ids, reverse=True)  # newest first within a tier
    ranks = [h.rank for h in broad.hits]
    assert ranks == sorted(ranks, reverse=True) and ranks[0] > 0 and ranks[-1] == 0.0
    # Every match exactly once across pages.
    assert sorted(await _all_ids(full_db, "imitation", broad.total)) == sorted(
        h.summary.id or 0 for h in broad.hits
    )


async def test_snippets_bold_the_matched_words(full_db: Database) -> None:
    page = await _search(full_db, "HARKing", limit=5)
    assert page.ranked and page.hits[0].rank > 0 and _has(page.hits[0].summary.title, "hark")
    bolded = [h.snippet for h in page.hits if "**" in h.snippet]
    assert bolded and all("**hark" in s.lower() for s in bolded)
    phrase = await _search(full_db, '"inverse reinforcement learning"', limit=3)
    assert phrase.hits
    for hit in phrase.hits:
        assert "**inverse reinforcement learning**" in hit.snippet.lower()


async def test_exclusions_and_filters_hold_on_every_page(full_db: Database) -> None:
    imitation = await _search(full_db, "imitation", limit=5)
    excluded = await _search(full_db, "imitation -reward", limit=CANDIDATES)
    assert 0 < excluded.total < imitation.total and not imitation.total_is_estimate
    for hit in excluded.hits:
        assert not _has(hit.summary.summary, "reward") and not _has(hit.summary.title, "reward")
    by_rohin = await _search(full_db, "agent by:Rohin", limit=50)
    assert by_rohin.total > 0
    assert all((h.summary.summarizer or "").lower() == "rohin" for h in by_rohin.hits)
    # An author filter finds names by the start of a word and still checks the text exactly.
    prefix = await _search(full_db, "learning author:Christia", limit=20)
    assert prefix.total > 0
    assert all("christia" in (h.summary.authors or "").lower() for h in prefix.hits)
    whole = await _search(full_db, "learning author:Christiano", limit=CANDIDATES)
    assert 0 < whole.total <= prefix.total
    # Inside a word is not the start of one: "hristiano" finds nothing.
    assert (await _search(full_db, "learning author:hristiano")).total == 0
    section = await _search(full_db, 'reward section:"learning human intent"', limit=20)
    assert section.total > 0
    assert all("learning human intent" in h.summary.section.lower() for h in section.hits)

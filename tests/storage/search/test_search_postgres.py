"""storage.search.postgres: the window walk finds exactly the newest matches, whatever their spread.

The walk asks the index for the matches among blocks of ids (migration 0006), sizing each
window from the density seen so far; these tests compare it with the plain answer (every match,
newest first) for words that are everywhere, rare, only in old rows, or nowhere, on ids spread
over every block level.
"""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

import pytest
import sqlalchemy as sa

from storage.db import Database
from storage.models import Summary
from storage.search.postgres import LEVELS, UNIT, WINDOW_BLOCKS, newest, window_blocks
from storage.search.query import SearchQuery, parse_query
from storage.sql import table_of

SUMMARIES = table_of(Summary)
SPACING = 37  # ids 37, 74, …: 3,000 rows reach id 111,000, past a block of 2**16 ids
ROWS = 3_000


def _ids_of(block: str) -> range:
    level, index = (int(part) for part in block.split(":"))
    return range(index << level, (index + 1) << level)


@pytest.mark.parametrize("end", [1, 2, 5, 64, 97, 98, 128, 1000])
@pytest.mark.parametrize("units", [1, 2, 3, 7, 30, 64, 500])
def test_window_blocks_are_aligned_contiguous_and_cover_what_was_asked(
    end: int, units: int
) -> None:
    blocks, new_end = window_blocks(end, units)
    ranges = [_ids_of(block) for block in blocks]
    # Contiguous, newest first, from `end` down to `new_end`.
    assert ranges[0].stop == end * UNIT and ranges[-1].start == new_end * UNIT
    assert all(a.start == b.stop for a, b in pairwise(ranges))
    for block in blocks:
        level, index = (int(part) for part in block.split(":"))
        assert level in LEVELS and index >= 0
    covered = end - new_end
    assert covered >= units or new_end == 0 or len(blocks) == WINDOW_BLOCKS
    assert len(blocks) <= WINDOW_BLOCKS


def _words(i: int) -> str:
    text = ["common"]
    if i % 7 == 0:
        text.append("middle")
    if i % 97 == 0:
        text.append("rare")
    if i < 150:
        text.append("ancient")  # only in the oldest rows: the walk must go all the way back
    if i % 2 == 0:
        text.append("even odd")
    else:
        text.append("odd even")
    return " ".join(text)


def _row(i: int) -> dict[str, Any]:
    return {
        "id": i * SPACING,
        "issue_id": None,
        "position": i,
        "dedupe_key": f"k{i}",
        "section": "Deep learning" if i % 3 == 0 else "Technical AI alignment",
        "title": f"Title {i}",
        "summarizer": "Rohin" if i % 2 else "Zach",
        "summary": _words(i),
        "opinions": [],
        "cross_refs": [],
        "highlight": False,
        "source": "test",
        "updated_at": datetime(2024, 1, 1, tzinfo=UTC),
    }


def _expected(predicate: Any) -> list[int]:
    rows = [_row(i) for i in range(1, ROWS + 1)]
    return sorted((r["id"] for r in rows if predicate(r)), reverse=True)


CASES = {
    "common": lambda r: True,
    "middle": lambda r: "middle" in r["summary"],
    "rare": lambda r: "rare" in r["summary"],
    "ancient": lambda r: "ancient" in r["summary"],
    "nowhere": lambda r: False,
    '"even odd"': lambda r: "even odd" in r["summary"],
    'middle section:"deep learning"': lambda r: (
        "middle" in r["summary"] and r["section"] == "Deep learning"
    ),
    "rare by:Zach": lambda r: "rare" in r["summary"] and r["summarizer"] == "Zach",
    "common -middle": lambda r: "middle" not in r["summary"],
}


def _walk(conn: sa.Connection, query: SearchQuery, limit: int, offset: int) -> list[int]:
    return [row[0] for row in newest(conn, query, limit=limit, offset=offset)]


async def test_the_walk_returns_exactly_the_newest_matches(pg_db: Database) -> None:
    async with pg_db.connect() as conn:
        rows = [_row(i) for i in range(1, ROWS + 1)]
        for start in range(0, len(rows), 500):
            await conn.execute(sa.insert(SUMMARIES), rows[start : start + 500])
    for text, predicate in CASES.items():
        expected = _expected(predicate)
        query = parse_query(text)
        for limit, offset in ((201, 0), (10, 0), (10, 195), (25, 400), (5, len(expected) - 2)):
            found = await pg_db.run_sync(_walk, query, limit, offset)
            assert found == expected[offset : offset + limit], (text, limit, offset)

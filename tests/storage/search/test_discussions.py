"""Discussion search on both backends: the comment index of migration 0010, the query grammar
of storage.query (with by: the commenter and in: a thread), the public rule, cursor paging."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from storage.comments import apply_events
from storage.comments.batch import message_row
from storage.comments.events import MessageDelete, MessageEdit, MessageUpsert
from storage.db import Database
from storage.search.discussions import search_discussions, search_discussions_on
from storage.search.query import QuerySyntaxError, parse_query
from storage.web_archive import COMMENTS
from tests.storage.search.test_search_keys import _downgrade
from tests.web.seed import Seeded, seed_site


@pytest.fixture
async def archive(db: Database) -> tuple[Database, Seeded]:
    return db, await seed_site(db)


async def ids_for(db: Database, text: str, **kw: int | None) -> list[int]:
    page = await search_discussions(db, parse_query(text, discussions=True), **kw)  # type: ignore[arg-type]
    return [hit.comment_id for hit in page.hits]


async def test_words_phrases_filters(archive: tuple[Database, Seeded]) -> None:
    db, seeded = archive
    ids = seeded.comment_ids
    assert await ids_for(db, '"garden of forking paths"') == [ids["terminology"]]
    # Stemming as in summary search: "replicating" finds "replicate"/"replication".
    found = await ids_for(db, "replicating")
    assert ids["terminology"] in found and ids["replicate"] in found
    assert await ids_for(db, 'replication by:"rohin shah"') == [
        i for i in found if i in (ids["terminology"], ids["certainly"])
    ]
    assert await ids_for(db, "replication -gelman") == [
        i for i in await ids_for(db, "replication") if i != ids["terminology"]
    ]
    assert await ids_for(db, "replication -seeds") == [ids["prereg"]]
    in_thread = await ids_for(db, f"feedback in:{seeded.hark_summary}")
    assert in_thread == [ids["thanks"]]
    assert await ids_for(db, "feedback in:harking") == [ids["thanks"]]
    assert await ids_for(db, "feedback in:nonexistent") == []
    assert await ids_for(db, "feedback issue:56") == [ids["thanks"]]
    assert await ids_for(db, "feedback issue:55") == []
    by_only = await ids_for(db, 'by:"Charlie Steiner"')
    assert by_only == [ids["thanks"], ids["yay"]]  # newest first


async def test_edits_tombstones_hidden_and_private(archive: tuple[Database, Seeded]) -> None:
    db, seeded = archive
    assert await ids_for(db, '"edited text"') == [seeded.edited]
    assert await ids_for(db, '"Andrew Gelman blog post"') == []  # the replaced text is gone
    assert await ids_for(db, "zanzibarite") == []  # hidden by its author
    assert await ids_for(db, '"soon gone"') == []  # tombstone
    for word in ("quuxolotl", "flibbertigibbet", "snollygoster", "bumfuzzled"):
        assert await ids_for(db, word) == []
    async with db.session() as session:
        now = datetime.now(UTC)
        await apply_events(
            session,
            [
                MessageUpsert(991, seeded.hark_thread, 5, "Ann", "ephemeral words here", now),
                MessageEdit(992, seeded.hark_thread, "x", now),
            ],
        )
        await session.commit()
    assert await ids_for(db, "ephemeral") == [991]
    async with db.session() as session:
        await apply_events(session, [MessageDelete(991, seeded.hark_thread, datetime.now(UTC))])
        await session.commit()
    assert await ids_for(db, "ephemeral") == []


async def test_cursor_paging(archive: tuple[Database, Seeded]) -> None:
    db, _seeded = archive
    query = parse_query("the", discussions=True)
    everything = [h.comment_id for h in (await search_discussions(db, query, limit=50)).hits]
    assert len(everything) >= 6 and everything == sorted(everything, reverse=True)
    seen: list[int] = []
    before = None
    while True:
        page = await search_discussions(db, query, limit=2, before=before)
        seen += [h.comment_id for h in page.hits]
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == everything
    hit = (await search_discussions(db, parse_query('"forking paths"', discussions=True))).hits[0]
    assert "**forking paths**" in hit.snippet and hit.author_name == "Rohin Shah"


def test_grammar_per_scope() -> None:
    query = parse_query('x by:Ann in:"some title"', discussions=True)
    assert query.summarizer == "Ann" and query.thread == "some title"
    with pytest.raises(QuerySyntaxError, match="unknown filter in:"):
        parse_query("x in:title")
    with pytest.raises(QuerySyntaxError, match="unknown filter section:"):
        parse_query("x section:foo", discussions=True)


# --- the newest-first walk over many comments -------------------------------------------------
# Snowflake ids 2**46 apart: about four comments in a block of 2**48 ids (the smallest of
# storage.search.keys.COMMENT_LEVELS), and 3,000 of them span more than the largest (2**54), so
# PostgreSQL's window walk crosses every level; SQLite's FTS5 walks rowids. Each page must be
# exactly the plain answer (every match, newest first), cursor after cursor.
SPACING = 1 << 46
MANY = 3_000


def _comment(i: int, thread_id: int) -> dict[str, object]:
    text = ["quagga"]
    if i % 7 == 0:
        text.append("okapi")
    if i % 97 == 0:
        text.append("axolotl")
    if i < 150:
        text.append("coelacanth")  # only in the oldest rows: the walk must go all the way back
    text.append("ibex yak" if i % 2 == 0 else "yak ibex")
    return message_row(
        MessageUpsert(
            (1 << 50) + i * SPACING,
            thread_id,
            1000 + i % 2,
            "Zoë Zeta" if i % 2 == 0 else "Rohin",
            " ".join(text),
            datetime(2021, 1, 1, tzinfo=UTC),
        )
    )


WALK_CASES = {
    "quagga": lambda i: True,
    "okapi": lambda i: i % 7 == 0,
    "axolotl": lambda i: i % 97 == 0,
    "coelacanth": lambda i: i < 150,
    "zzyzx": lambda i: False,
    '"ibex yak"': lambda i: i % 2 == 0,
    'axolotl by:"ZOE zeta"': lambda i: i % 97 == 0 and i % 2 == 0,  # folded as summary search
    "by:Rohin": lambda i: i % 2 == 1,
    "quagga -okapi": lambda i: i % 7 != 0,
}


async def test_the_walk_returns_exactly_the_newest_matches(
    archive: tuple[Database, Seeded],
) -> None:
    db, seeded = archive
    await _insert_many(db, seeded)
    await _assert_walks(db, WALK_CASES)


async def _insert_many(db: Database, seeded: Seeded) -> None:
    rows = [_comment(i, seeded.hark_thread) for i in range(1, MANY + 1)]
    async with db.connect() as conn:
        for start in range(0, len(rows), 500):
            await conn.execute(sa.insert(COMMENTS), rows[start : start + 500])
        await conn.commit()


async def _assert_walks(db: Database, cases: dict[str, Any]) -> None:
    """Each query's first page and every page after it, cursor after cursor, are exactly the
    plain answer (every match, newest first)."""
    for text, predicate in cases.items():
        expected = sorted(
            ((1 << 50) + i * SPACING for i in range(1, MANY + 1) if predicate(i)), reverse=True
        )
        query = parse_query(text, discussions=True)
        first = await search_discussions(db, query, limit=50)
        assert [hit.comment_id for hit in first.hits] == expected[:50], text
        seen: list[int] = []
        before = None
        while True:
            page = await search_discussions(db, query, limit=50, before=before)
            seen += [hit.comment_id for hit in page.hits]
            if page.next_before is None:
                break
            before = page.next_before
        assert seen == expected, text


# With column statistics (after ANALYZE), PostgreSQL leaves the lexemes in most rows out of what
# the GIN index is asked and checks them, and exclusions, on the rows (migration 0016).
COMMON_CASES = {
    **WALK_CASES,
    "axolotl quagga": lambda i: i % 97 == 0,  # quagga is in every row
    '"ibex yak" axolotl': lambda i: i % 97 == 0 and i % 2 == 0,  # the pair is in half of them
    "okapi -axolotl ibex": lambda i: i % 7 == 0 and i % 97 != 0,
    "coelacanth yak quagga": lambda i: i < 150,
    'quagga ibex yak "yak ibex"': lambda i: i % 2 == 1,  # all common: the rarest is asked
    "axolotl quagga by:Rohin": lambda i: i % 97 == 0 and i % 2 == 1,
}


async def test_the_walk_with_statistics_returns_exactly_the_newest_matches(
    pg_db: Database,
) -> None:
    db = pg_db
    seeded = await seed_site(db)
    await _insert_many(db, seeded)
    await db.analyze()
    await _assert_walks(db, COMMON_CASES)


# Comments dense in the newest units of ids, as at 1M comments (~700 a unit of 2**48 ids), then
# sparse: every part of PostgreSQL's walk runs (the scan, the newest window, the second window,
# which the newest window's hits call for, the third, which overlaps the second's units and must
# leave out what it gave, and the rest).
TOP_UNIT = (1 << 12) + 37  # not aligned to the third window's blocks of 32 units
LAYOUT = [(0, 200), (1, 200)] + [(u, 20) for u in range(2, 16)] + [(u, 3) for u in range(16, 200)]


def _layered(thread_id: int) -> tuple[list[dict[str, object]], dict[str, list[int]]]:
    """Rows of LAYOUT (units below TOP_UNIT, rows in each) and, for each word, its ids."""
    rows: list[dict[str, object]] = []
    ids: dict[str, list[int]] = {"kiwi": [], "emu": []}
    n = 0
    for below, count in LAYOUT:
        for k in range(count):
            n += 1
            comment_id = ((TOP_UNIT - below) << 48) + (count - k) * 1000
            words = ["moa"]
            if n % 40 == 0:
                words.append("kiwi")  # ~10 in the newest window, ~7 in the second, then sparse
            if n % 250 == 0:
                words.append("emu")  # rare: the third window and the rest
            for word in words:
                if word in ids:
                    ids[word].append(comment_id)
            rows.append(
                message_row(
                    MessageUpsert(
                        comment_id,
                        thread_id,
                        7,
                        "Mo",
                        " ".join(words),
                        datetime(2021, 1, 1, tzinfo=UTC),
                    )
                )
            )
    return rows, ids


async def test_every_part_of_the_walk_gives_exactly_the_newest_matches(
    archive: tuple[Database, Seeded],
) -> None:
    db, seeded = archive
    rows, ids = _layered(seeded.hark_thread)
    async with db.connect() as conn:
        for start in range(0, len(rows), 500):
            await conn.execute(sa.insert(COMMENTS), rows[start : start + 500])
        await conn.commit()
    for text, expected in (("kiwi", ids["kiwi"]), ("emu", ids["emu"]), ("kiwi moa", ids["kiwi"])):
        expected = sorted(expected, reverse=True)
        query = parse_query(text, discussions=True)
        for limit in (5, 20, 50):
            seen: list[int] = []
            before = None
            while True:
                page = await search_discussions(db, query, limit=limit, before=before)
                seen += [hit.comment_id for hit in page.hits]
                if page.next_before is None:
                    break
                before = page.next_before
            assert seen == expected, (text, limit)
    if db.dialect == "postgresql":  # the layout does what it is for: every part runs
        await db.analyze()
        for text, parts in (("kiwi", ("newest", "second", "third")), ("emu", ("third",))):
            plan, _ = await db.run_sync(_explain, text)
            lines = plan.splitlines()
            for part in parts:
                top = lines[lines.index(f"  CTE {part}") + 1]
                assert "never executed" not in top, (text, part, plan)


def _explain(conn: sa.Connection, text: str) -> tuple[str, list[int]]:
    """The plan of a search's statement, run (EXPLAIN ANALYZE), and its hits."""
    search_discussions_on(conn, parse_query(text, discussions=True))  # the statistics
    seen: list[tuple[str, Any]] = []
    sa.event.listen(conn, "before_cursor_execute", lambda *a: seen.append((a[2], a[3])))
    page = search_discussions_on(conn, parse_query(text, discussions=True), limit=20)
    ((statement, params),) = seen
    plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + statement, params)
    return "\n".join(row[0] for row in plan), [hit.comment_id for hit in page.hits]


async def test_common_words_are_found_in_order_and_rechecked(pg_db: Database) -> None:
    """PostgreSQL, with statistics: a word in most comments is answered from the newest rows
    read in id order (no GIN scan runs: the newest window read and sorted all its ~1,400
    matches at 1M comments); a rare word beside a common one asks the index for the rare one
    and checks the rest on the rows it gives (the plan's filter removes some)."""
    db = pg_db
    seeded = await seed_site(db)
    await _insert_many(db, seeded)
    await db.analyze()

    def expected(predicate: Any) -> list[int]:
        ids = ((1 << 50) + i * SPACING for i in range(1, MANY + 1) if predicate(i))
        return sorted(ids, reverse=True)[:20]

    plan, ids = await db.run_sync(_explain, "quagga yak")
    assert ids == expected(lambda i: True)
    gin = [x for x in plan.splitlines() if "ix_comment_search_keys" in x]
    assert gin and all("never executed" in x for x in gin), plan

    plan, ids = await db.run_sync(_explain, '"ibex yak" axolotl')
    assert ids == expected(lambda i: i % 97 == 0 and i % 2 == 0)
    lines = plan.splitlines()
    heap = [i for i, x in enumerate(lines) if "Bitmap Heap Scan on comment" in x]
    removed = [
        int(line.split(":")[1])
        for i in heap
        for line in lines[i + 1 : i + 4]
        if "Rows Removed by Filter" in line
    ]
    assert sum(removed) > 0, plan  # odd rows with axolotl, given by the index, checked out
    # The public rules are looked up per row, never a join (storage.web_archive.exists_of): with
    # a generic plan's guessed row counts, the joins became scans of every thread for each hit.
    assert "Semi Join" not in plan and "Anti Join" not in plan, plan


async def test_statements_a_search(archive: tuple[Database, Seeded]) -> None:
    """On PostgreSQL a search with words is one round trip whatever the walk needs (the
    windows and the hits' rows in one statement; SQLite, in-process, reads the hits' rows
    after their ids); the hits are the plain answer's. (PostgreSQL's first search also reads
    the column statistics, kept for later ones: storage.search.postgres.common_lexemes.)"""
    db, seeded = archive
    per_search = 1 if db.dialect == "postgresql" else 2
    rows = [_comment(i, seeded.hark_thread) for i in range(1, MANY + 1)]
    async with db.connect() as conn:
        await conn.execute(sa.insert(COMMENTS), rows)
        await conn.commit()

    def count(conn: sa.Connection, text: str) -> tuple[int, list[int]]:
        search_discussions_on(conn, parse_query("quagga", discussions=True))  # the statistics
        seen: list[str] = []
        sa.event.listen(conn, "before_cursor_execute", lambda *a: seen.append(a[2]))
        page = search_discussions_on(conn, parse_query(text, discussions=True), limit=20)
        return len(seen), [hit.comment_id for hit in page.hits]

    for text, predicate in WALK_CASES.items():
        statements, ids = await db.run_sync(count, text)
        expected = sorted(
            ((1 << 50) + i * SPACING for i in range(1, MANY + 1) if predicate(i)), reverse=True
        )
        assert ids == expected[:20], text
        assert statements == (per_search if ids else 1), text


async def test_migration_0013_both_ways(archive: tuple[Database, Seeded]) -> None:
    """0013 keys comment_fts by -id with pairs (SQLite) and a commenter's whole name as one
    lexeme (PostgreSQL); its downgrade gives 0010's index back, filled, and the upgrade again."""
    db, seeded = archive
    ids = seeded.comment_ids
    sqlite = db.dialect == "sqlite"

    async def indexed() -> tuple[set[int], set[int]]:
        """The phrase's and Rohin's comments as the raw index finds them (0010's layout)."""
        async with db.connect() as conn:
            if sqlite:
                match = "SELECT rowid FROM comment_fts WHERE comment_fts MATCH :q"
                phrase = await conn.execute(sa.text(match), {"q": '"forking paths"'})
                rohin = await conn.execute(sa.text(match), {"q": '{author} : "rohinshah"'})
            else:
                keys = "SELECT id FROM comment WHERE search_keys @@ CAST(:q AS tsquery)"
                words = "SELECT id FROM comment WHERE search_keys @@ to_tsquery('anbot_words', :q)"
                phrase = await conn.execute(sa.text(words), {"q": "forking & paths & garden"})
                rohin = await conn.execute(sa.text(keys), {"q": "'\ue004rohin' & '\ue004shah'"})
            return {r[0] for r in phrase}, {r[0] for r in rohin}

    rohin = await ids_for(db, 'by:"Rohin Shah"')
    assert len(rohin) == 3 and ids["terminology"] in rohin
    await _downgrade(db, "0012")
    phrase, by_rohin = await indexed()
    assert phrase == {ids["terminology"]} and by_rohin == set(rohin)
    await db.upgrade()
    assert await ids_for(db, '"garden of forking paths"') == [ids["terminology"]]
    assert await ids_for(db, 'by:"Rohin Shah"') == rohin
    assert await ids_for(db, 'replication by:"rohin shah"') == [
        i for i in await ids_for(db, "replication") if i in rohin
    ]
    async with db.connect() as conn:  # the new layout: rowids are -id, the name one lexeme
        if sqlite:
            rows = await conn.execute(sa.text("SELECT min(rowid) < 0 FROM comment_fts"))
        else:
            rows = await conn.execute(
                sa.text(
                    "SELECT count(*) = 3 FROM comment WHERE search_keys @@ CAST(:q AS tsquery)"
                ),
                {"q": "'\ue006rohin shah'"},
            )
        assert rows.scalar_one()


async def test_by_walks_the_members_comments_through_the_name_index(pg_db: Database) -> None:
    """PostgreSQL: a by: search reads the member's newest comments through the btree of
    migration 0015 (EXPLAIN ANALYZE shows it scanned) and checks the words on those rows; the
    GIN rest runs only when they held too few hits (a common word: never executed; a rare one:
    below them). The hits are the plain answer's, and the downgrade drops the index."""
    db = pg_db
    seeded = await seed_site(db)
    rows = [_comment(i, seeded.hark_thread) for i in range(1, MANY + 1)]
    async with db.connect() as conn:
        await conn.execute(sa.insert(COMMENTS), rows)
        await conn.commit()
    await db.analyze()

    def rest_gin(plan: str) -> str:
        """The GIN scan line of the rest part (the only GIN scan of a by: walk)."""
        (line,) = [x for x in plan.splitlines() if "ix_comment_search_keys" in x]
        return line

    cases = {
        "quagga by:Rohin": (lambda i: i % 2 == 1, True),  # every member row a hit: no rest
        'axolotl by:"ZOE zeta"': (lambda i: i % 97 == 0 and i % 2 == 0, False),
    }
    for text, (predicate, member_only) in cases.items():
        plan, ids = await db.run_sync(_explain, text)
        expected = sorted(
            ((1 << 50) + i * SPACING for i in range(1, MANY + 1) if predicate(i)), reverse=True
        )
        assert ids == expected[:20], text
        assert "Index Scan using ix_comment_name_key on comment" in plan, plan
        assert ("never executed" in rest_gin(plan)) is member_only, plan
    await _downgrade(db, "0014")
    async with db.connect() as conn:
        names = await conn.execute(
            sa.text("SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()")
        )
        assert "ix_comment_name_key" not in {r[0] for r in names}
    await db.upgrade()
    plan, ids = await db.run_sync(_explain, "quagga by:Rohin")
    assert "ix_comment_name_key" in plan and len(ids) == 20

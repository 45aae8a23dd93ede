"""storage.importer: the summaries database CSV on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from feeds.types import FeedItem, Opinion, ParsedIssue, ParsedSummary
from storage.db import Database
from storage.feeds import get_or_create_feed
from storage.importer import DatabaseFileError, import_database
from storage.issues import get_issue_by_number, summaries_of, upsert_issue
from storage.models import Issue, Summary

ROWS = 1956


async def _count(db: Database) -> int:
    async with db.session() as session:
        return (await session.exec(select(func.count()).select_from(Summary))).one()


async def test_import_is_complete_and_idempotent(db: Database, data_dir: Path) -> None:
    calls: list[tuple[int, int]] = []
    report = await import_database(
        db, data_dir / "an-summaries-database.csv", progress=lambda d, t: calls.append((d, t))
    )
    assert (report.rows, report.inserted) == (ROWS, ROWS)
    assert calls[-1] == (ROWS, ROWS)
    again = await import_database(db, data_dir / "an-summaries-database.csv")
    assert (again.inserted, again.unchanged, again.issues_created) == (0, ROWS, 0)
    assert await _count(db) == ROWS

    async with db.session() as session:
        issue = await get_issue_by_number(session, 56)
        assert issue is not None and issue.label == "AN #56" and issue.layout == "database"
        summaries = await summaries_of(session, issue.id or 0)
        recon = (await session.exec(select(Issue).where(Issue.label == "Recon #5"))).one()
    assert len(summaries) == 12
    assert recon.number is None
    hark = next(s for s in summaries if s.title.startswith("HARK Side"))
    assert hark.source == "database" and hark.venue == "arXiv"
    assert hark.opinions[0]["by"] == "Rohin"
    assert hark.opinions[0]["text"].startswith("I believe that I found this paper")


async def test_feed_rows_are_enriched_not_duplicated(db: Database, data_dir: Path) -> None:
    parsed = ParsedIssue(
        title="[AN #56] Should ML researchers stop running experiments before making hypotheses?",
        link="https://example.org/an56",
        number=56,
        label="AN #56",
        layout="an",
        summaries=[
            ParsedSummary(
                title="HARK Side of Deep Learning — From Grad Student Descent to Automated "
                "Machine Learning",
                section_path=("Highlights",),
                authors="Oguzhan Gencoglu et al",
                summary="This paper focuses on HARKing.",
                opinions=[Opinion(by="Rohin", text="From the feed.")],
            )
        ],
    )
    item = FeedItem("guid-56", parsed.title, parsed.link, None, None, "<p>body</p>")
    async with db.session() as session:
        feed = await get_or_create_feed(session, url="https://example.org/feed")
        await upsert_issue(session, feed_id=feed.id or 0, item=item, parsed=parsed, publish=True)
        await session.commit()

    await import_database(db, data_dir / "an-summaries-database.csv")
    assert await _count(db) == ROWS  # the feed's HARK row absorbed the database's

    async with db.session() as session:
        issue = await get_issue_by_number(session, 56)
        assert issue is not None and issue.feed_id == feed.id
        summaries = await summaries_of(session, issue.id or 0)
    hark = next(s for s in summaries if s.title.startswith("HARK Side"))
    assert hark.source == "feed"
    assert hark.venue == "arXiv" and hark.year == "2019"  # enriched
    assert hark.opinions == [{"by": "Rohin", "text": "From the feed."}]  # feed text kept
    assert len(summaries) == 12


async def test_missing_and_malformed_files(sqlite_db: Database, tmp_path: Path) -> None:
    with pytest.raises(DatabaseFileError, match="no such file"):
        await import_database(sqlite_db, tmp_path / "missing.csv")
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("a,b\n1,2\n")
    with pytest.raises(DatabaseFileError, match="missing columns Category"):
        await import_database(sqlite_db, wrong)
    assert await _count(sqlite_db) == 0


async def test_import_refreshes_planner_statistics(db: Database, data_dir: Path) -> None:
    """Search plans depend on statistics; a bulk load must leave them current."""
    import sqlalchemy as sa

    await import_database(db, data_dir / "an-summaries-database.csv")
    async with db.connect() as conn:
        if db.dialect == "sqlite":
            analyzed = await conn.scalar(
                sa.text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'summary'")
            )
        else:
            analyzed = await conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'summary' "
                    "AND schemaname = current_schema() AND last_analyze IS NOT NULL"
                )
            )
    assert analyzed and analyzed > 0
    if db.dialect == "sqlite":  # and the search index is merged: one segment for every word
        async with db.connect() as conn:
            segments = await conn.scalar(
                sa.text("SELECT count(DISTINCT segid) FROM summary_fts_idx")
            )
        assert segments == 1


async def test_postgres_import_leaves_no_pending_search_entries(
    pg_db: Database, data_dir: Path
) -> None:
    """Database.bulk_load: the search index collects the import's entries in its pending list,
    merges them at the end and stops collecting (a pending list is read by every search)."""
    import sqlalchemy as sa

    options = sa.text(
        "SELECT reloptions FROM pg_class WHERE relname = 'ix_summary_search_keys' "
        "AND relnamespace = current_schema()::regnamespace"
    )
    async with pg_db.bulk_load(), pg_db.connect() as conn:
        assert "fastupdate=on" in (await conn.scalar(options))
    await import_database(pg_db, data_dir / "an-summaries-database.csv")
    async with pg_db.connect() as conn:
        assert "fastupdate=off" in (await conn.scalar(options))
        left = await conn.scalar(sa.text("SELECT gin_clean_pending_list('ix_summary_search_keys')"))
    assert left == 0


async def test_hat_tips_are_imported(sqlite_db: Database, data_dir: Path) -> None:
    await import_database(sqlite_db, data_dir / "an-summaries-database.csv")
    async with sqlite_db.session() as session:
        rows = (await session.exec(select(Summary).where(Summary.hat_tip.is_not(None)))).all()
    assert len(rows) == 20
    careers = next(r for r in rows if r.title == "Careers at the Joint AI Center")
    assert careers.hat_tip == "Jon Rodriguez"


@pytest.mark.postgres
async def test_analyze_touches_only_its_own_schema(pg_db: Database) -> None:
    """A shared PostgreSQL database holds other deployments' (and other tests') schemas: a bare
    `ANALYZE` read all of them, and waited on any of their tables another session had locked."""
    import sqlalchemy as sa

    other = Database(pg_db.url.render_as_string(hide_password=False), schema=pg_db.schema + "_o")
    await other.create_schema()
    try:
        async with other.connect() as conn:
            await conn.execute(sa.text("CREATE TABLE neighbour (x int)"))
            await conn.execute(sa.text("INSERT INTO neighbour VALUES (1)"))
            await conn.commit()
        await pg_db.analyze()
        async with pg_db.connect() as conn:
            ours = await conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_user_tables WHERE relname = 'summary' "
                    "AND schemaname = current_schema() AND last_analyze IS NOT NULL"
                )
            )
            theirs = await conn.scalar(
                sa.text(
                    "SELECT last_analyze FROM pg_stat_user_tables "
                    "WHERE relname = 'neighbour' AND schemaname = :s"
                ),
                {"s": other.schema},
            )
        assert ours == 1
        assert theirs is None
    finally:
        await other.drop_schema()
        await other.dispose()

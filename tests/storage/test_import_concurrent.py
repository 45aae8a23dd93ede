"""Two `import-database` runs at once store everything once (issue 12, defect 2), on both
backends: two real processes start the import together. And migration 0007 merges the
duplicates an earlier pair of runs left, keeping the Discord threads linked to them."""

from __future__ import annotations

import asyncio
import csv
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, func, select

from storage.db import Database
from storage.importer import read_database_csv
from storage.models import DiscordThread, Issue, Publication, Summary
from tests.conftest import POSTGRES_URL, postgres_or_skip

ROOT = Path(__file__).resolve().parents[2]
ROWS = 1200  # of the real database: each import takes a few seconds, so the two overlap

_IMPORT = """
import asyncio, sys, time
from datetime import UTC, datetime
from pathlib import Path
from storage.db import Database
from storage.importer import import_database

url, schema, csv_path, go = sys.argv[1:5]

async def main() -> None:
    db = Database(url, schema=schema or None)
    while not Path(go).exists():  # both processes start the import at the same moment
        time.sleep(0.01)
    report = await import_database(db, Path(csv_path))
    print(report)
    await db.dispose()

asyncio.run(main())
"""


def _subset(data_dir: Path, tmp_path: Path) -> Path:
    text = (data_dir / "an-summaries-database.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "subset.csv"
    reader = csv.reader(io.StringIO(text, newline=""))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for index, record in enumerate(reader):
        if index > ROWS:
            break
        writer.writerow(record)
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


async def _counts(db: Database) -> tuple[int, int, int]:
    async with db.session() as session:
        summaries = (await session.exec(select(func.count()).select_from(Summary))).one()
        issues = (await session.exec(select(func.count()).select_from(Issue))).one()
        dupes = (
            await session.exec(
                select(func.count())
                .select_from(Summary)
                .group_by(col(Summary.title), col(Summary.summary))
                .having(func.count() > 1)
            )
        ).all()
    return int(summaries), int(issues), len(dupes)


async def test_two_concurrent_imports_store_everything_once(
    db: Database, data_dir: Path, tmp_path: Path
) -> None:
    csv_path = _subset(data_dir, tmp_path)
    rows = read_database_csv(csv_path)
    go = tmp_path / "go"
    url = db.url.render_as_string(hide_password=False)
    args = [url, db.schema or "", str(csv_path), str(go)]
    root = str(ROOT)
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            _IMPORT,
            *args,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=root,
        )
        for _ in range(2)
    ]
    await asyncio.sleep(1.5)  # both interpreters up and waiting
    go.write_bytes(b"")
    outputs = [await asyncio.wait_for(p.communicate(), timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
        assert b"Traceback" not in err
    summaries, issues, dupes = await _counts(db)
    labels = {(r.label, r.number) for r in rows}
    assert (summaries, dupes) == (len(rows), 0)
    assert issues == len(labels)
    # A third run finds everything in place.
    from storage.importer import import_database

    again = await import_database(db, csv_path)
    assert again.inserted == 0 and again.issues_created == 0
    assert await _counts(db) == (summaries, issues, 0)


async def _at_0006(db: Database) -> None:
    await db.create_schema()
    await db.upgrade("0006")


async def _migration_case(db: Database) -> None:
    await _at_0006(db)
    # Rows as they were at 0006, written with that schema's columns (today's models have more).
    now = datetime(2024, 5, 1, tzinfo=UTC)

    async def insert(conn: AsyncConnection, table: str, **values: object) -> int:
        columns = ", ".join(values)
        marks = ", ".join(f":{name}" for name in values)
        found = await conn.execute(
            sa.text(f"INSERT INTO {table} ({columns}) VALUES ({marks}) RETURNING id"), values
        )
        return int(found.scalar_one())

    async with db.connect() as conn:

        async def issue(label: str | None, number: int | None, title: str) -> int:
            return await insert(
                conn, "issue", number=number, label=label, title=title, layout="database",
                publish=False, created_at=now,
            )  # fmt: skip

        async def summary(issue_id: int, key: str, title: str) -> int:
            return await insert(
                conn, "summary", issue_id=issue_id, position=0, dedupe_key=key, section="",
                title=title, summary="s", opinions="[]", cross_refs="[]", highlight=False,
                source="database", updated_at=now,
            )  # fmt: skip

        first_id = await issue("AN #56", 56, "AN #56")
        second_id = await issue("AN #56", 56, "AN #56")
        loose_id = await issue(None, None, "Summaries without an issue")
        loose_2 = await issue(None, None, "Summaries without an issue")
        await summary(first_id, "hark", "HARK")
        dup_hark = await summary(second_id, "hark", "HARK")
        await summary(second_id, "only2", "Only in 2nd")
        await summary(loose_2, "loose", "Loose")
        pub = await insert(
            conn, "publication", issue_id=second_id, summary_id=dup_hark, channel_id=7,
            mode="forum", status="posted", marker="m1", attempts=1, error_reported=False,
            created_at=now, updated_at=now,
        )  # fmt: skip
        await conn.execute(
            sa.text(
                "INSERT INTO discord_thread (id, channel_id, publication_id, name, tracked, "
                "created_at) VALUES (999, 7, :pub, 'HARK', false, :now)"
            ),
            {"pub": pub, "now": now},
        )

    await db.upgrade()

    async with db.session() as session:
        issues = (await session.exec(select(Issue).order_by(col(Issue.id)))).all()
        assert [i.id for i in issues] == [first_id, loose_id]
        summaries = (await session.exec(select(Summary).order_by(col(Summary.id)))).all()
        assert sorted((s.issue_id, s.dedupe_key) for s in summaries) == sorted(
            [(first_id, "hark"), (first_id, "only2"), (loose_id, "loose")]
        )
        hark = next(s for s in summaries if s.dedupe_key == "hark")
        thread = await session.get(DiscordThread, 999)
        assert thread is not None and thread.publication_id is not None
        publication = await session.get(Publication, thread.publication_id)
        assert publication is not None
        assert (publication.issue_id, publication.summary_id) == (first_id, hark.id)
        # The database now refuses a second imported issue with the same label.
        session.add(Issue(number=56, label="AN #56", title="again", layout="database"))
        try:
            await session.flush()
        except sa.exc.IntegrityError:
            await session.rollback()
        else:
            raise AssertionError("a duplicate imported issue was accepted")


async def test_migration_0007_merges_duplicates_keeping_thread_links(tmp_path: Path) -> None:
    sqlite = Database(f"sqlite+aiosqlite:///{tmp_path / 'm.db'}")
    try:
        await _migration_case(sqlite)
    finally:
        await sqlite.dispose()


async def test_migration_0007_on_postgres() -> None:
    postgres_or_skip()
    import uuid

    pg = Database(POSTGRES_URL, schema=f"t_{uuid.uuid4().hex[:12]}")
    try:
        await _migration_case(pg)
    finally:
        await pg.drop_schema()
        await pg.dispose()

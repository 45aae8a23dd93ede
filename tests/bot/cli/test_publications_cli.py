"""`anbot publications`: status counts, failed rows with reasons, and --retry-failed."""

from __future__ import annotations

import asyncio
from pathlib import Path

from typer.testing import CliRunner

from bot.cli import app
from storage import publications as pubs
from storage.db import Database
from storage.ingest import ingest_file


async def _seed_failed(url: str, data_dir: Path) -> None:
    db = Database(url)
    try:
        await db.upgrade()
        await ingest_file(db, data_dir / "seed-issue-with-comments.txt", publish=True)
        async with db.session() as s:
            await pubs.enqueue_pending(s, channels=[(42, "forum")])
            rows = await pubs.list_publications(s)
            for row in rows[:3]:
                assert row.id is not None
                await pubs.mark_failed(s, publication_id=row.id, error="403 Missing Permissions")
            await s.commit()
    finally:
        await db.dispose()


def test_lists_failures_and_retries_them(tmp_path: Path, data_dir: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'pubs.db'}"
    asyncio.run(_seed_failed(url, data_dir))
    runner = CliRunner()
    env = {"ANBOT_DATABASE_URL": url}

    listed = runner.invoke(app, ["publications"], env=env)
    assert listed.exit_code == 0, listed.output
    assert "failed 3" in listed.output and "pending 9" in listed.output
    assert listed.output.count("403 Missing Permissions") == 3

    retried = runner.invoke(app, ["publications", "--retry-failed"], env=env)
    assert retried.exit_code == 0, retried.output
    assert "3 failed publication(s) put back in line" in retried.output
    assert "pending 12" in retried.output and "failed" not in retried.output.splitlines()[-1]

"""`anbot export` against a real SQLite file: output equals threads.export, clear failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.comment_events import MessageUpsert, ReactionAdd
from storage.comments import apply_events, records_for_thread
from storage.db import Database
from storage.threads import upsert_thread
from threads.export import export
from threads.model import ThreadInfo

THREAD = 777
T0 = datetime(2024, 5, 1, tzinfo=UTC)


@pytest.fixture
async def stored(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    db = Database(sqlite_url)
    await db.upgrade()
    async with db.session() as s:
        await upsert_thread(s, thread_id=THREAD, guild_id=5, channel_id=6, name="A thread")
        events = [
            MessageUpsert(m, THREAD, 1, "ann", f"text {m}", T0 + timedelta(minutes=m), parent_id=p)
            for m, p in ((1001, None), (1002, 1001), (1003, None))
        ]
        await apply_events(s, [*events, ReactionAdd(1003, 9, "👍")])
        await s.commit()
    await db.dispose()
    monkeypatch.setenv("ANBOT_DATABASE_URL", sqlite_url)
    return sqlite_url


async def expected(url: str, fmt: str, order: str) -> str:
    db = Database(url)
    async with db.session() as s:
        records = await records_for_thread(s, THREAD)
    await db.dispose()
    info = ThreadInfo(
        id=THREAD,
        title="A thread",
        url=f"https://discord.com/channels/5/{THREAD}",
        guild_id=5,
        channel_id=6,
    )
    return "".join(export(fmt, info, records, order=order))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", ["markdown", "json", "html", "csv"])
async def test_export_matches_renderer(stored: str, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"out.{fmt}"
    result = await _invoke(
        ["export", str(THREAD), "--format", fmt, "--sort", "top", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert out.read_bytes().decode("utf-8") == await expected(stored, fmt, "top")


async def test_json_to_stdout_has_the_tree(stored: str) -> None:
    result = await _invoke(["export", str(THREAD), "--format", "json"])
    assert result.exit_code == 0
    assert "text 1002" in result.stdout and json.loads(result.stdout)


async def test_unknown_thread_is_one_line(stored: str, tmp_path: Path) -> None:
    out = tmp_path / "x.md"
    result = await _invoke(["export", "424242", "--out", str(out)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: no thread 424242 in the database (is it tracked?)"
    assert not out.exists()


async def test_bad_since(stored: str) -> None:
    result = await _invoke(["export", str(THREAD), "--since", "yesterday"])
    assert result.exit_code == 1 and "--since 'yesterday'" in result.stderr


async def test_after_and_before_filter_and_since_still_marks(stored: str) -> None:
    result = await _invoke(
        [
            "export",
            str(THREAD),
            "--format",
            "json",
            "--after",
            "2024-05-01T00:30Z",
            "--before",
            "2024-05-01T17:00Z",
            "--since",
            "2024-05-01T16:50Z",
        ]
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    # 1001 (16:41), its reply 1002 (16:42) and 1003 (16:43) are all in the window.
    ids = [c["id"] for c in document["comments"]]
    assert ids == ["1001", "1003"] and document["comment_count"] == 3
    narrow = await _invoke(
        ["export", str(THREAD), "--format", "json", "--after", "2024-05-01T16:42:30Z"]
    )
    assert [c["id"] for c in json.loads(narrow.stdout)["comments"]] == ["1003"]
    bad = await _invoke(["export", str(THREAD), "--after", "2024-05-02", "--before", "2024-05-01"])
    assert (
        bad.exit_code == 1 and bad.stderr.strip() == "error: --after must be earlier than --before"
    )


async def _invoke(args: list[str]):  # type: ignore[no-untyped-def]
    import asyncio

    # The command runs its own event loop (asyncio.run), so it must run off this test's loop.
    return await asyncio.to_thread(CliRunner().invoke, app, args)

"""`anbot export` against a real SQLite file: output equals threads.export, clear failures."""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from storage.comments import apply_events, records_for_thread
from storage.comments.events import MessageUpsert, ReactionAdd
from storage.db import Database
from storage.threads import upsert_thread
from tests.bot.cli.outcome import one_line_error
from threads.export import export
from threads.model import ThreadInfo

CLI = "import sys; from bot.cli import app; app(sys.argv[1:])"
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


def test_bad_values_are_one_line(stored: str, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    cases = {
        ("99999999999999999999",): "error: 99999999999999999999 is not a Discord thread id",
        ("0",): "error: 0 is not a Discord thread id",
        (str(THREAD), "--since", "9999-12-31T23:59:59-23:59"): (
            "error: --since '9999-12-31T23:59:59-23:59' is out of range"
        ),
        (str(THREAD), "--since", "0001-01-01T00:00:00+14:00"): "is out of range",
        (str(THREAD), "--out", str(tmp_path / "missing" / "x.md")): (
            f"directory {tmp_path / 'missing'} does not exist"
        ),
        (str(THREAD), "--out", str(tmp_path / "folder")): "is a directory",
        (str(THREAD), "--out", "/dev/full"): "error: --out /dev/full is not a regular file",
        (str(THREAD), "--out", "/dev/full", "--force"): "is not a regular file",
    }
    for args, message in cases.items():
        line = one_line_error(CliRunner().invoke(app, ["export", *args]))
        assert message in line, (args, line)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anbot.db", "folder"]
    assert list((tmp_path / "folder").iterdir()) == []


def test_existing_file_is_kept_unless_forced(stored: str, tmp_path: Path) -> None:
    out = tmp_path / "thread.md"
    out.write_text("keep me\n")
    out.chmod(0o640)
    refused = CliRunner().invoke(app, ["export", str(THREAD), "--out", str(out)])
    assert one_line_error(refused) == f"error: --out {out} exists; add --force to replace it"
    assert out.read_text() == "keep me\n"

    forced = CliRunner().invoke(app, ["export", str(THREAD), "--out", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert out.read_text(encoding="utf-8") == asyncio.run(expected(stored, "markdown", "old"))
    assert out.stat().st_mode & 0o777 == 0o640  # the replaced file keeps its permissions
    assert sorted(p.name for p in tmp_path.iterdir()) == ["anbot.db", "thread.md"]


def test_new_file_gets_the_usual_permissions(stored: str, tmp_path: Path) -> None:
    out = tmp_path / "new.md"
    assert CliRunner().invoke(app, ["export", str(THREAD), "-o", str(out)]).exit_code == 0
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.fixture
async def big_thread(sqlite_url: str) -> str:
    """A thread whose Markdown export is about 200 KB."""
    db = Database(sqlite_url)
    await db.upgrade()
    async with db.session() as s:
        await upsert_thread(s, thread_id=THREAD, guild_id=5, channel_id=6, name="Big")
        text = "a long comment " * 40
        events = [
            MessageUpsert(m, THREAD, 1, "ann", f"{m} {text}", T0 + timedelta(seconds=m))
            for m in range(1000, 1300)
        ]
        await apply_events(s, events)
        await s.commit()
    await db.dispose()
    return sqlite_url


def _limited_files(limit: int) -> None:
    # In the child before exec: files may grow to `limit` bytes, and writing past it fails with
    # EFBIG instead of killing the process (SIGXFSZ ignored) — a disk that fills up mid-write.
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


def test_a_failed_write_leaves_the_old_file(big_thread: str, tmp_path: Path) -> None:
    out = tmp_path / "thread.md"
    out.write_text("the old export\n")
    done = subprocess.run(
        [sys.executable, "-c", CLI, "export", str(THREAD), "--out", str(out), "--force"],
        env={**os.environ, "ANBOT_DATABASE_URL": big_thread, "XDG_STATE_HOME": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=partial(_limited_files, 100_000),  # SQLite's 32 KiB -shm file still fits
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == f"error: cannot write {out}: File too large"
    assert out.read_text() == "the old export\n"
    assert sorted(p.name for p in tmp_path.iterdir() if "thread" in p.name) == ["thread.md"]


def test_full_standard_output_is_one_line(big_thread: str, tmp_path: Path) -> None:
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-c", CLI, "export", str(THREAD)],
            env={**os.environ, "ANBOT_DATABASE_URL": big_thread},
            cwd=tmp_path,
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr.strip() == "error: cannot write to standard output: No space left on device"


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

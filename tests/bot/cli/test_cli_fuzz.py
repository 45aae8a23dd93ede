"""Every data command with hostile values (hypothesis, in-process through Typer's CliRunner).

Each run must end with exit code 0, 1 (one line on stderr), or 2 (Typer's usage error: a value
the option's own type or range refuses, found by the parser before the command runs; the
command-line convention for "called wrong"); never a traceback, never an unexpected exception
(the boundary would turn one into a line, so that is checked separately), and a run that fails
leaves the database exactly as it was.

Left out: `run` (connects to Discord; without a token it prints how to get one, tested in
tests/bot/test_cli_run.py), `sandbox` (starts servers, same file), and `ingest` of a URL: a
failed poll records the failure on the feed, by design.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bot.cli import app
from storage import publications as pubs
from storage.comments import apply_events
from storage.comments.events import MessageUpsert
from storage.db import Database
from storage.ingest import ingest_file
from storage.threads import upsert_thread
from tests.conftest import DATA

THREAD = 777
NUMBERS = [
    "0", "-1", "1", "56", "2147483647", "2147483648", "3000000000", "9223372036854775807",
    "9223372036854775808", "-9223372036854775809", "99999999999999999999", "9" * 5000, "1e3",
    "0x10", "", " ", "²", "٥٦", "NaN", "inf", "AN #56", "#56", "latest", "56.0", "--", "-",
]  # fmt: skip
TEXTS = [
    '"', 'section:"unclosed', "foo:bar", "issue:99999999999999999999", "issue:3000000000",
    "author:_", "by:'", "%", "\\", "'; DROP TABLE summary; --", "\u202e", "🙂" * 50, "x" * 600,
    "HARKing", "-alone", "*", "NEAR(a b)", "a OR b", "9999-12-31T23:59:59-23:59",
    "0001-01-01T00:00:00+14:00", "2024-13-45", "yesterday", "2024-05-01",
]  # fmt: skip
# Positional values go after "--", so "-1" is a value, not an unknown option.
# argv cannot hold NUL (a shell never passes one), and a feed URL is fetched (left out above).
text = st.text(st.characters(blacklist_characters="\x00"), max_size=40).filter(
    lambda t: not t.lstrip().lower().startswith(("http:", "https:"))
)
hostile = st.one_of(st.sampled_from(NUMBERS + TEXTS), text)


@st.composite
def path_arg(draw: st.DrawFn, root: Path) -> str:
    """A path that exists, is missing, is a directory, a device, or is hostile text."""
    choice = draw(st.sampled_from(["file", "missing", "dir", "device", "text", "deep"]))
    if choice == "file":
        target = root / "inputs" / f"f{draw(st.integers(0, 5))}"
        target.write_bytes(draw(st.binary(max_size=300)))
        return str(target)
    return {
        "missing": str(root / "nope" / "x"),
        "dir": str(root / "inputs"),
        "device": "/dev/full",
        "deep": str(root / ("d" * 300) / "x"),
    }.get(choice) or draw(text)


def _options(draw: st.DrawFn, names: dict[str, st.SearchStrategy[str] | None]) -> list[str]:
    out: list[str] = []
    for name, values in names.items():
        if draw(st.booleans()):
            out += [name] if values is None else [name, draw(values)]
    return out


@st.composite
def invocation(draw: st.DrawFn, root: Path) -> list[str]:
    command = draw(
        st.sampled_from(["search", "issue", "export", "publications", "ingest", "import", "db"])
    )
    if command == "search":
        options = _options(draw, {"--limit": hostile, "--offset": hostile})
        return ["search", *options, "--", draw(hostile)]
    if command == "issue":
        return ["issue", "--", draw(hostile)]
    if command == "export":
        thread = draw(st.one_of(st.just(str(THREAD)), hostile))
        out_root = root / "outputs"
        out = st.one_of(
            path_arg(root), st.sampled_from([str(out_root / "a.md"), str(out_root / "b.json")])
        )
        options = {
            "--format": st.one_of(st.sampled_from(["markdown", "json", "html", "csv"]), hostile),
            "--sort": st.one_of(st.sampled_from(["old", "new", "top"]), hostile),
            "--since": hostile,
            "--out": out,
            "--force": None,
        }
        return ["export", *_options(draw, options), "--", thread]
    if command == "publications":
        return ["publications", *_options(draw, {"--retry-failed": None, "--channel": hostile})]
    if command == "ingest":
        options = {"--number": hostile, "--title": hostile, "--publish": None}
        return ["ingest", *_options(draw, options), "--", draw(path_arg(root))]
    if command == "import":
        return ["import-database", "--", draw(path_arg(root))]
    return ["db", "upgrade"]


async def _seed(url: str) -> None:
    db = Database(url)
    try:
        await db.upgrade()
        await ingest_file(db, DATA / "seed-issue-with-comments.txt", publish=True, number=56)
        async with db.session() as s:
            await pubs.enqueue_pending(s, channels=[(42, "forum")])
            first = (await pubs.list_publications(s))[0]
            assert first.id is not None
            await pubs.mark_failed(s, publication_id=first.id, error="403 Missing Permissions")
            await upsert_thread(s, thread_id=THREAD, guild_id=5, channel_id=6, name="A thread")
            t0 = datetime(2024, 5, 1, tzinfo=UTC)
            await apply_events(
                s,
                [
                    MessageUpsert(m, THREAD, 1, "ann", f"text {m}", t0 + timedelta(minutes=m))
                    for m in (1001, 1002, 1003)
                ],
            )
            await s.commit()
    finally:
        await db.dispose()


def _sqlite_snapshot(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return hashlib.sha256("\n".join(conn.iterdump()).encode()).hexdigest()


async def _postgres_snapshot(url: str) -> str:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
        )
        digest = hashlib.sha256()
        for (table,) in tables:
            rows = await conn.fetch(f'SELECT * FROM "{table}" ORDER BY 1')
            digest.update(repr((table, [tuple(r) for r in rows])).encode())
        return digest.hexdigest()
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def cli_database(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, int]]:
    """(URL, examples to run) of a seeded database the CLI is pointed at."""
    if request.param == "sqlite":
        url, examples = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}", 150
    else:
        url, examples = request.getfixturevalue("pg_cli_url"), 60
    asyncio.run(_seed(url))
    monkeypatch.setenv("ANBOT_DATABASE_URL", url)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.chdir(tmp_path)  # no stray .env; relative paths land here
    for folder in ("inputs", "outputs"):
        (tmp_path / folder).mkdir()
    yield url, examples


def test_every_command_survives_hostile_values(
    cli_database: tuple[str, int], tmp_path: Path
) -> None:
    url, examples = cli_database

    def snapshot() -> str:
        if url.startswith("sqlite"):
            return _sqlite_snapshot(tmp_path / "cli.db")
        return asyncio.run(_postgres_snapshot(url))

    runner = CliRunner()

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(args=invocation(tmp_path))
    def check(args: list[str]) -> None:
        before = snapshot()
        result = runner.invoke(app, args)
        output = result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            args,
            repr(result.exception),
        )
        assert result.exit_code in (0, 1, 2), (args, output)
        assert "Traceback" not in output, (args, output)
        assert "failed unexpectedly" not in output, (args, output)
        if result.exit_code == 1:
            assert len(result.stderr.strip().splitlines()) == 1, (args, result.stderr)
        if result.exit_code == 2:
            assert "Usage:" in output, (args, output)  # Typer's message, naming the option
        if result.exit_code != 0:
            assert snapshot() == before, (args, output)

    check()

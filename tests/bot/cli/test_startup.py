"""What starting `anbot` costs: --help and shell completion load no database or Discord library,
and a command on an up-to-date database does not load Alembic (subprocesses: a fresh
interpreter's sys.modules is the only honest answer)."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import SQLModel

import storage.models  # noqa: F401  (every table on SQLModel.metadata)
from storage.db import Database

# Not pydantic: Typer (0.2x) itself converts a command's parameters with pydantic TypeAdapters,
# so a subcommand's --help loads it whatever anbot does.
HEAVY = ("discord", "sqlalchemy", "sqlmodel", "alembic", "aiohttp", "asyncpg", "aiosqlite", "rich")
PROBE = """
import json, sys
from bot.cli import app
try:
    app(sys.argv[1:], prog_name="anbot")
except SystemExit:
    pass
names = {name.split(".")[0] for name in sys.modules} | set(sys.modules)
loaded = sorted(names & set(json.loads(sys.argv[0])))
print("LOADED " + json.dumps(loaded), file=sys.stderr)
"""


def _start(
    args: list[str], tmp_path: Path, *, heavy: tuple[str, ...] = HEAVY, **env: str
) -> tuple[str, list[str]]:
    """(the output, the heavy packages the process imported) of `anbot ARGS`."""
    done = subprocess.run(
        # sys.argv[0] of `python -c` is "-c"; the probe reads the package list from it instead.
        [sys.executable, "-c", PROBE.replace("sys.argv[0]", repr(json.dumps(heavy))), *args],
        env={**os.environ, "XDG_STATE_HOME": str(tmp_path), **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    marker = done.stderr.rsplit("LOADED ", 1)
    assert len(marker) == 2, done.stderr
    return done.stdout + marker[0], json.loads(marker[1])  # no arguments: help on stderr


@pytest.mark.parametrize("args", [["--help"], ["search", "--help"], ["export", "--help"], []])
def test_help_imports_no_database_or_discord_library(args: list[str], tmp_path: Path) -> None:
    out, loaded = _start(args, tmp_path)
    assert loaded == []
    assert ("import-database" in out) if args in ([], ["--help"]) else ("--help" in out)


def test_completion_imports_no_database_or_discord_library(tmp_path: Path) -> None:
    out, loaded = _start(
        [], tmp_path, _ANBOT_COMPLETE="complete_bash", COMP_WORDS="anbot se", COMP_CWORD="1"
    )
    assert loaded == []
    assert "search" in out.split()


def test_a_command_on_an_up_to_date_database_loads_no_alembic(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    # First start: a new database, so Alembic runs the migrations.
    out, loaded = _start(["db", "upgrade"], tmp_path, heavy=("alembic",), ANBOT_DATABASE_URL=url)
    assert out.startswith("database at revision ") and loaded == ["alembic"]
    _, loaded = _start(["issue", "latest"], tmp_path, heavy=("alembic",), ANBOT_DATABASE_URL=url)
    assert loaded == []


def test_a_search_on_an_sqlite_file_loads_no_async_engine(tmp_path: Path) -> None:
    """A one-shot read on an SQLite file runs on plain sqlite3 (Database.run_sync): the async
    engine machinery (SQLAlchemy's asyncio extension, aiosqlite) is never imported."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    machinery = ("aiosqlite", "sqlalchemy.ext.asyncio", "sqlmodel.ext.asyncio")
    seed = Path(__file__).parents[2] / "data" / "seed-issue-with-comments.txt"
    ingest = ["ingest", str(seed), "--number", "56"]
    out, loaded = _start(ingest, tmp_path, heavy=machinery, ANBOT_DATABASE_URL=url)
    assert "1 new" in out
    assert "aiosqlite" in loaded  # writes use the async engine: the probe can see it
    out, loaded = _start(["search", "HARKing"], tmp_path, heavy=machinery, ANBOT_DATABASE_URL=url)
    assert "HARK Side of Deep Learning" in out
    assert loaded == []


def test_a_markdown_export_loads_no_html_renderer(tmp_path: Path) -> None:
    """markdown-it-py and nh3 render the HTML export only: `anbot export` to Markdown (the
    default) does not import them."""
    from datetime import UTC, datetime

    from storage.comments import apply_events
    from storage.comments.events import MessageUpsert
    from storage.threads import upsert_thread

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def seed() -> None:
        async with Database(url) as db:
            await db.upgrade()
            async with db.session() as session:
                await upsert_thread(session, thread_id=77, guild_id=1, channel_id=2, name="t")
                at = datetime(2024, 5, 1, tzinfo=UTC)
                comment = MessageUpsert(77_001, 77, 5, "ann", "a **bold** reply", at)
                await apply_events(session, [comment])
                await session.commit()

    asyncio.run(seed())
    renderer = ("markdown_it", "nh3")
    out, loaded = _start(["export", "77"], tmp_path, heavy=renderer, ANBOT_DATABASE_URL=url)
    assert "a **bold** reply" in out and loaded == []
    html = ["export", "77", "--format", "html"]
    out, loaded = _start(html, tmp_path, heavy=renderer, ANBOT_DATABASE_URL=url)
    assert "<strong>bold</strong>" in out and loaded == ["markdown_it", "nh3"]


def test_an_older_schema_is_still_upgraded(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"

    async def at(revision: str) -> str | None:
        db = Database(url)
        try:
            await db.upgrade(revision)
            return await db.current_revision()
        finally:
            await db.dispose()

    assert asyncio.run(at("0005")) == "0005"
    out, loaded = _start(["db", "upgrade"], tmp_path, heavy=("alembic",), ANBOT_DATABASE_URL=url)
    assert loaded == ["alembic"]
    assert out.strip() != "database at revision 0005"
    assert asyncio.run(at("head")) == out.strip().rsplit(" ", 1)[1]


def test_importing_the_models_builds_no_validator(tmp_path: Path) -> None:
    """Every database command imports storage.models: its pydantic validators are built on
    first use, not for all the tables at import (a third of that import's cost)."""
    probe = (
        "import storage.models as m\n"
        "from sqlmodel import SQLModel\n"
        "tables = {c for c in vars(m).values() if isinstance(c, type) and issubclass(c, SQLModel)"
        " and c.model_config.get('table')}\n"
        "print(len(tables))\n"
        "print(','.join(sorted(c.__name__ for c in tables if c.__pydantic_complete__)))\n"
        "print(m.Summary(title='t', dedupe_key='k').model_dump()['title'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    count, built, title = done.stdout.split("\n")[:3]
    assert int(count) == len(SQLModel.metadata.tables)
    assert built == ""  # none built by the import...
    assert title == "t"  # ...and a model still serializes (built when first used)


# What a one-shot read must not load: the ORM and the models (storage.tables and Core rows
# serve it), settings (ANBOT_DATABASE_URL is read directly), Alembic (the schema is current),
# Discord, and the async engine (plain sqlite3 through Database.run_sync).
READ_HEAVY = (
    "discord",
    "sqlalchemy.orm",
    "sqlmodel",
    "storage.models",
    "pydantic_settings",
    "alembic",
    "aiosqlite",
    "sqlalchemy.ext.asyncio",
)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["search", "HARKing"], "HARK Side of Deep Learning"),
        (["search", "issue:56"], "summaries match"),  # filters only: the other statement
        (["issue", "56"], "AN #56"),
        (["issue", "latest"], "AN #56"),
        (["export", "77"], "a **bold** reply"),
        (["export", "77", "--format", "json"], '"a **bold** reply"'),
    ],
)
def test_a_read_command_loads_no_orm_models_settings_or_alembic(
    args: list[str], expected: str, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    from storage.comments import apply_events
    from storage.comments.events import MessageUpsert
    from storage.ingest import ingest_file
    from storage.threads import upsert_thread

    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    seed = Path(__file__).parents[2] / "data" / "seed-issue-with-comments.txt"

    async def fill() -> None:
        async with Database(url) as db:
            await db.upgrade()
            await ingest_file(db, seed, number=56)
            async with db.session() as session:
                await upsert_thread(session, thread_id=77, guild_id=1, channel_id=2, name="t")
                at = datetime(2024, 5, 1, tzinfo=UTC)
                await apply_events(
                    session, [MessageUpsert(77_001, 77, 5, "ann", "a **bold** reply", at)]
                )
                await session.commit()

    asyncio.run(fill())
    # Only a search stems words: the stemmer (every language of snowballstemmer) is not loaded
    # for the others.
    heavy = READ_HEAVY if args[0] == "search" else (*READ_HEAVY, "snowballstemmer")
    out, loaded = _start(args, tmp_path, heavy=heavy, ANBOT_DATABASE_URL=url)
    assert expected in out
    assert loaded == []


def test_the_start_up_pause_of_the_garbage_collector_ends() -> None:
    """`anbot` turns the cyclic GC off while a command starts; a long-running command (the bot)
    gets it back once the pause is over."""
    import gc

    from bot.cli import pause_gc

    timer = pause_gc(3600)  # long: the test, not the clock, decides when the pause ends
    try:
        assert not gc.isenabled()
        assert timer.is_alive() and timer.daemon  # a pending timer never keeps a process alive
        timer.cancel()
        timer.join(timeout=30)
        timer.function()  # what the timer runs when the pause is over
        assert gc.isenabled()
    finally:
        timer.cancel()
        gc.enable()

"""storage.db.Database: pragmas, migrations that match the models, clear connection errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

import storage.db as db_module
from storage.db import Database, DatabaseUnavailable


async def test_models_and_migrations_agree(db: Database) -> None:
    assert await db.schema_diff() == []
    assert await db.current_revision() is not None


async def test_schema_diff_notices_a_drift(sqlite_db: Database) -> None:
    async with sqlite_db.connect() as conn:
        await conn.execute(sa.text("DROP INDEX ix_issue_label"))
    diff = await sqlite_db.schema_diff()
    assert [d[0] for d in diff] == ["add_index"]


async def test_upgrade_twice_is_a_no_op(db: Database) -> None:
    before = await db.current_revision()
    await db.upgrade()
    assert await db.current_revision() == before


async def test_sqlite_pragmas_on_every_connection(sqlite_db: Database) -> None:
    for _ in range(2):  # two separate connections from the pool
        async with sqlite_db.engine.connect() as conn:
            mode = (await conn.execute(sa.text("PRAGMA journal_mode"))).scalar()
            fks = (await conn.execute(sa.text("PRAGMA foreign_keys"))).scalar()
            busy = (await conn.execute(sa.text("PRAGMA busy_timeout"))).scalar()
            sync = (await conn.execute(sa.text("PRAGMA synchronous"))).scalar()
            cache = (await conn.execute(sa.text("PRAGMA cache_size"))).scalar()
            # The function the summary_fts triggers call (storage.search.keys).
            keys = (
                await conn.execute(sa.text("SELECT anbot_search_keys('a b', '', '', '', '', '')"))
            ).scalar()
        assert (mode, fks, busy, sync, cache) == ("wal", 1, 5000, 1, -65536)
        assert keys == "a\ue000b"


async def test_sqlite_enforces_foreign_keys(sqlite_db: Database) -> None:
    async with sqlite_db.session() as session:
        conn = await session.connection()
        with pytest.raises(sa.exc.IntegrityError):
            await conn.execute(
                sa.text(
                    "INSERT INTO summary (issue_id, position, dedupe_key, section, title, "
                    "summary, opinions, cross_refs, highlight, source, updated_at) "
                    "VALUES (999, 0, 'k', '', 't', '', '[]', '[]', 0, 'feed', '2020-01-01')"
                )
            )


async def test_dialect(db: Database) -> None:
    assert db.dialect in ("sqlite", "postgresql")


async def test_postgres_schema_isolation(pg_db: Database) -> None:
    async with pg_db.connect() as conn:
        schema = (await conn.execute(sa.text("SELECT current_schema()"))).scalar()
    assert schema == pg_db.schema


async def test_dead_postgres_port_is_one_clear_line() -> None:
    db = Database("postgresql+asyncpg://anbot:s3cret@127.0.0.1:1/anbot")
    try:
        with pytest.raises(DatabaseUnavailable) as info:
            await db.upgrade()
    finally:
        await db.dispose()
    message = str(info.value)
    assert "\n" not in message
    assert "127.0.0.1:1" in message and "cannot connect" in message
    assert "s3cret" not in message and "***" in message


async def test_unwritable_sqlite_path_is_one_clear_line(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where a directory should be")
    db = Database(f"sqlite+aiosqlite:///{blocker / 'anbot.db'}")
    try:
        with pytest.raises(DatabaseUnavailable) as info:
            await db.upgrade()
    finally:
        await db.dispose()
    message = str(info.value)
    assert "\n" not in message
    assert "not-a-directory/anbot.db" in message and "unable to open database file" in message


async def test_missing_postgres_database_is_unavailable(pg_db: Database) -> None:
    db = Database(pg_db.url.set(database="no_such_database_anbot").render_as_string(False))
    try:
        with pytest.raises(DatabaseUnavailable, match="no_such_database_anbot"):
            await db.ping()
    finally:
        await db.dispose()


def _write_then_read(conn: sa.Connection, label: str) -> int:
    conn.execute(
        sa.text(
            "INSERT INTO issue (label, title, layout, publish, created_at) "
            "VALUES (:label, :label, 'test', false, CURRENT_TIMESTAMP)"
        ),
        {"label": label},
    )
    return int(conn.execute(sa.text("SELECT count(*) FROM issue")).scalar_one())


async def _labels(db: Database) -> list[str]:
    async with db.connect() as conn:
        return list((await conn.execute(sa.text("SELECT label FROM issue ORDER BY id"))).scalars())


async def test_run_sync_write_commits_and_read_rolls_back(db: Database) -> None:
    assert await db.run_sync(_write_then_read, "kept", write=True) == 1
    # A read unit sees its own write, but it never reaches the database.
    assert await db.run_sync(_write_then_read, "dropped") == 2
    assert await _labels(db) == ["kept"]


async def test_run_sync_rolls_back_when_the_unit_raises(db: Database) -> None:
    def fail(conn: sa.Connection) -> None:
        _write_then_read(conn, "half")
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        await db.run_sync(fail, write=True)
    assert await _labels(db) == []


async def test_run_sync_on_sqlite_uses_a_worker_thread_with_the_pragmas(
    sqlite_db: Database,
) -> None:
    import threading

    def where(conn: sa.Connection) -> tuple[str, int, int]:
        fks = conn.execute(sa.text("PRAGMA foreign_keys")).scalar_one()
        busy = conn.execute(sa.text("PRAGMA busy_timeout")).scalar_one()
        cache = conn.execute(sa.text("PRAGMA cache_size")).scalar_one()
        return threading.current_thread().name, fks, busy, cache

    name, fks, busy, cache = await sqlite_db.run_sync(where)
    assert name != threading.current_thread().name
    assert (fks, busy, cache) == (1, 5000, -65536)


async def test_run_sync_unreachable_sqlite_is_unavailable(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'x.db'}")
    try:
        with pytest.raises(DatabaseUnavailable, match="missing-dir"):
            await db.run_sync(_write_then_read, "x")
    finally:
        await db.dispose()


def _backend_pid(conn: sa.Connection) -> int:
    return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


async def _kill(db: Database, pid: int) -> None:
    """Terminate a backend from another engine (the pool would hand back that very one)."""
    other = Database(db.url.render_as_string(hide_password=False))
    try:
        async with other.connect() as conn:
            await conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        await other.dispose()


async def test_an_idle_connection_is_pinged_and_replaced_when_dead(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a server restart does to the pool: the next unit of work gets a live connection."""
    pid = await pg_db.run_sync(_backend_pid)
    await _kill(pg_db, pid)
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 0.0)  # every checkout counts as idle
    assert await pg_db.run_sync(_backend_pid) != pid


async def test_a_connection_used_just_now_is_not_pinged(
    pg_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cost of skipping the ping: a connection killed within IDLE_PING_SECONDS of its last
    use fails the next statement, once; the pool then drops it and the retry works."""
    monkeypatch.setattr(db_module, "IDLE_PING_SECONDS", 3600.0)
    pid = await pg_db.run_sync(_backend_pid)
    await _kill(pg_db, pid)
    with pytest.raises(sa.exc.DBAPIError):
        await pg_db.run_sync(_backend_pid)
    assert await pg_db.run_sync(_backend_pid) != pid


def _statements_share_a_transaction(conn: sa.Connection) -> bool:
    # SET LOCAL lasts until the end of the transaction: outside one it lasts not even that long.
    conn.execute(sa.text("SET LOCAL statement_timeout = '4321ms'"))
    return bool(conn.execute(sa.text("SHOW statement_timeout")).scalar_one() == "4321ms")


async def test_run_sync_without_snapshot_has_no_transaction(pg_db: Database) -> None:
    assert await pg_db.run_sync(_statements_share_a_transaction)
    assert not await pg_db.run_sync(_statements_share_a_transaction, snapshot=False)
    # A write always gets its transaction (commit or roll back as a whole).
    assert await pg_db.run_sync(_statements_share_a_transaction, write=True, snapshot=False)


def test_head_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from storage.db import MIGRATIONS, head_revisions

    assert head_revisions() == frozenset(ScriptDirectory(str(MIGRATIONS)).get_heads())


@pytest.mark.parametrize(
    "url", ["garbage", "sqlite:///sync-driver.db", "nosuchdialect://x", "postgresql://h/db"]
)
def test_a_bad_url_is_one_line_without_the_url(url: str) -> None:
    with pytest.raises(DatabaseUnavailable) as caught:
        Database(url)
    message = str(caught.value)
    assert "\n" not in message and "postgresql+asyncpg://user:pw@host/db" in message


async def test_a_locked_sqlite_is_waited_for_then_reported_in_one_line(
    sqlite_db: Database,
) -> None:
    """`anbot ingest` while another process imports (issue 12): a write that meets SQLite's
    lock is tried again, and succeeds once the lock is released; if the lock stays, one clear
    DatabaseBusy line (the CLI prints it), never "database is locked" from deep inside."""
    import asyncio
    import sqlite3

    from storage.db import DatabaseBusy, retry_locked
    from storage.feeds import get_or_create_feed

    async def add(url: str) -> int:
        async with sqlite_db.session() as session:
            feed = await get_or_create_feed(session, url=url)
            await session.commit()
            return feed.id or 0

    holder = sqlite3.connect(sqlite_db.url.database or "", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseBusy) as caught:
            await retry_locked(lambda: add("https://x.org/a"), what="ingest", attempts=1)
        assert "locked by another process" in str(caught.value)
        assert "\n" not in str(caught.value)
        waiting = asyncio.create_task(
            retry_locked(lambda: add("https://x.org/b"), what="ingest", attempts=4, pause=0.1)
        )
        await asyncio.sleep(1.0)
        assert not waiting.done()
    finally:
        holder.execute("COMMIT")
        holder.close()
    assert await waiting > 0


async def test_run_sync_generic_plans_only_where_asked(pg_db: Database) -> None:
    """Discussion search's statement is planned once per connection (generic_plans=True); every
    other statement keeps PostgreSQL's default, which plans with the values when that pays."""

    def mode(conn: sa.Connection) -> str:
        return str(conn.exec_driver_sql("SELECT current_setting('plan_cache_mode')").scalar())

    assert await pg_db.run_sync(mode, generic_plans=True) == "force_generic_plan"
    assert await pg_db.run_sync(mode, snapshot=False, generic_plans=True) == "force_generic_plan"
    assert await pg_db.run_sync(mode) == "auto"
    async with pg_db.session() as session:
        assert (await session.execute(sa.text("SHOW plan_cache_mode"))).scalar() == "auto"

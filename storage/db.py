"""The database handle: one async engine, sessions, Alembic upgrades, schema isolation.

`Database(url)` makes the engine but does not connect; the first `upgrade()`/`ping()` does, and
turns any failure to connect into one `DatabaseUnavailable` line naming the (masked) URL.

On an SQLite file the async engine (SQLAlchemy's asyncio extension, aiosqlite, the greenlet
bridge) is made when first used: `upgrade()` on an up-to-date database and `run_sync` work on a
plain sqlite3 connection, so a one-shot read such as `anbot search` never loads it.
"""

from __future__ import annotations

import asyncio
import importlib.util
import re
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url

from storage.search import index as search_index

if TYPE_CHECKING:  # Alembic is imported only when a migration is due (or asked for)
    from alembic.config import Config
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
    from sqlmodel.ext.asyncio.session import AsyncSession

DEFAULT_URL = "sqlite+aiosqlite:///anbot.db"
MIGRATIONS = Path(__file__).parent / "migrations"
# Two-int advisory lock key: several processes starting at once upgrade one after another.
_UPGRADE_LOCK = 0x616E

_SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
    # 64 MiB of pages per connection (SQLite's default is 2 MiB), grown only as pages are read.
    # Measured at 100k summaries: search p50 3.3 -> 2.4 ms. The hot index pages stay in the
    # process instead of being read again from the OS page cache, which a virtual machine's
    # memory reclaim empties under a search's feet.
    "PRAGMA cache_size=-65536",
)


# A pooled connection unused for longer than this is pinged before it is handed out (a dead
# server or a restart shows there, not in the caller's statement); one used more recently is
# not: the ping is a round trip, 0.2 ms of a 4 ms search, for nothing in a burst of work.
IDLE_PING_SECONDS = 2.0
_USED_AT = "anbot_used_at"

T = TypeVar("T")


_URL_HINT = " (e.g. sqlite+aiosqlite:///anbot.db or postgresql+asyncpg://user:pw@host/db)"
# `revision = "0006"` / `down_revision = "0005"` (or a tuple, or None) in a migration file.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\b[^=\n]*=(.*)$", re.MULTILINE)


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or opened; the message is one line for a human."""


def head_revisions() -> frozenset[str] | None:
    """The newest migration id(s), read from the migration files without loading Alembic (0.2 s
    of every command's start); None when a file does not read as expected, and then Alembic
    decides. tests/storage/test_db.py pins that this agrees with Alembic's own answer."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        fields = dict(_REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in fields or "down_revision" not in fields:
            return None
        own = re.findall(r"[\"']([^\"']+)[\"']", fields["revision"])
        if len(own) != 1:
            return None
        revisions.add(own[0])
        parents.update(re.findall(r"[\"']([^\"']+)[\"']", fields["down_revision"]))
    heads = frozenset(revisions - parents)
    return heads or None


class DatabaseBusy(DatabaseUnavailable):
    """Another process kept the database locked for longer than we were willing to wait."""


def is_transient(exc: BaseException) -> bool:
    """True for a failure that the same write can get past later: a lock held by another
    process (SQLite's "database is locked"/"busy", a PostgreSQL lock or serialization
    timeout), a connection lost or refused. False for what the data itself causes (a
    constraint, a value the database refuses): repeating that fails again."""
    if isinstance(exc, DatabaseUnavailable | OSError | TimeoutError | sa.exc.DisconnectionError):
        return True
    if isinstance(exc, sa.exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        if isinstance(exc, sa.exc.OperationalError | sa.exc.InterfaceError):
            text = str(exc.orig).lower()
            permanent = ("no such", "syntax error", "has no column", "malformed", "readonly")
            return not any(p in text for p in permanent)
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        # 40001 serialization failure, 40P01 deadlock, 55P03 lock not available, 57014
        # statement/lock timeout, 08xxx connection exceptions.
        return bool(code) and (str(code).startswith("08") or code in _TRANSIENT_CODES)
    return False


_TRANSIENT_CODES = {"40001", "40P01", "55P03", "57014"}


def is_locked(exc: BaseException) -> bool:
    """SQLite's "database is locked" (another process holds the write lock)."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return "database is locked" in text or "database is busy" in text


async def retry_locked(
    work: Callable[[], Awaitable[T]], *, what: str, attempts: int = 6, pause: float = 0.5
) -> T:
    """Run `work` (one whole transaction) again while the database stays locked by another
    process (each try already waited busy_timeout), then raise one clear DatabaseBusy."""
    for attempt in range(1, attempts + 1):
        try:
            return await work()
        except sa.exc.OperationalError as exc:
            if not is_locked(exc):
                raise
            if attempt == attempts:
                raise DatabaseBusy(
                    f"{what}: the database stayed locked by another process (an import or "
                    f"ingest?) for over {attempts} tries; try again when it has finished"
                ) from exc
            await asyncio.sleep(pause * attempt)
    raise AssertionError("unreachable")


def _prepare_sqlite(dbapi_connection: Any, _record: Any) -> None:
    search_index.prepare_sqlite(dbapi_connection)
    cursor = dbapi_connection.cursor()
    try:
        for pragma in _SQLITE_PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def _one_line(exc: BaseException) -> str:
    inner = getattr(exc, "orig", None) or exc
    text = " ".join(str(inner).split()) or type(inner).__name__
    return f"{type(inner).__name__}: {text}"


def _ping_when_idle(engine: sa.Engine) -> None:
    """Pessimistic disconnect handling as SQLAlchemy's pool_pre_ping, but only for connections
    idle over IDLE_PING_SECONDS: a failed ping makes the pool drop the connection and connect
    anew (up to three times) before the caller sees anything."""
    dialect = engine.dialect

    @event.listens_for(engine, "connect")
    def _connected(_dbapi_connection: Any, record: Any) -> None:
        record.info[_USED_AT] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_USED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        used_at = record.info.get(_USED_AT)
        if used_at is not None and time.monotonic() - used_at < IDLE_PING_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:  # whatever the driver raises for a dead connection
            raise sa.exc.DisconnectionError(str(exc)) from exc
        if not alive:
            raise sa.exc.DisconnectionError("ping failed")
        record.info[_USED_AT] = time.monotonic()


def _stored_revisions(conn: sa.Connection) -> frozenset[str]:
    return frozenset(
        row[0] for row in conn.execute(sa.text("SELECT version_num FROM alembic_version"))
    )


class Database:
    """An async SQLAlchemy engine for SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

    def __init__(self, url: str, *, schema: str | None = None, echo: bool = False) -> None:
        try:
            self.url: URL = make_url(url)
        except (sa.exc.ArgumentError, ValueError) as exc:  # the URL itself is never echoed
            message = f"database URL is not valid: {_one_line(exc)}{_URL_HINT}"
            raise DatabaseUnavailable(message) from None
        self.schema = schema
        connect_args: dict[str, Any] = {}
        if self.url.get_backend_name() == "postgresql":
            connect_args["timeout"] = 10  # seconds to connect: a dead host fails fast
            # No JIT: anbot's statements are short, but their cost estimates cross
            # jit_above_cost on big tables (the public rules' subqueries at 100k+ comments),
            # and compiling costs 3-10 ms a statement (discussion search p50 27 → 21 ms at
            # 100k comments with nothing else changed).
            settings = {"jit": "off"}
            if schema:
                settings["search_path"] = schema
            connect_args["server_settings"] = settings
        elif schema:
            raise ValueError("schema= is only meaningful for PostgreSQL")
        self._echo = echo
        self._connect_args = connect_args
        self._engine: AsyncEngine | None = None
        self._generic_engine: AsyncEngine | None = None
        self._engine_lock = threading.Lock()
        self._thread_engine: sa.Engine | None = None
        self._thread_engine_lock = threading.Lock()
        # The default backend, an SQLite file through aiosqlite, cannot fail to make its engine
        # when the driver is installed: it is made when first used. Any other URL makes it now,
        # so a bad dialect or driver is reported here, by the constructor.
        deferred = (
            self.url.drivername == "sqlite+aiosqlite"
            and self.url.database not in (None, "", ":memory:")
            and importlib.util.find_spec("aiosqlite") is not None
        )
        if not deferred:
            _ = self.engine

    @property
    def engine(self) -> AsyncEngine:
        """The async engine (made on first use on an SQLite file, see the module docstring)."""
        if self._engine is not None:
            return self._engine
        with self._engine_lock:
            if self._engine is None:
                self._engine = self._make_engine()
            return self._engine

    @property
    def generic_engine(self) -> AsyncEngine:
        """On PostgreSQL, a second engine whose connections plan prepared statements once
        (plan_cache_mode = force_generic_plan; see run_sync's `generic_plans`); elsewhere the
        engine."""
        if self.dialect != "postgresql":
            return self.engine
        with self._engine_lock:
            if self._generic_engine is None:
                settings = {**self._connect_args["server_settings"]}
                settings["plan_cache_mode"] = "force_generic_plan"
                self._generic_engine = self._make_engine(
                    {**self._connect_args, "server_settings": settings}
                )
            return self._generic_engine

    def _make_engine(self, connect_args: dict[str, Any] | None = None) -> AsyncEngine:
        from sqlalchemy.ext.asyncio import create_async_engine

        args = self._connect_args if connect_args is None else connect_args
        try:
            engine = create_async_engine(self.url, echo=self._echo, connect_args=args)
        except (sa.exc.ArgumentError, sa.exc.InvalidRequestError, ImportError) as exc:
            # An unknown dialect, a driver that is not installed or not async.
            raise DatabaseUnavailable(
                f"database {self.safe_url}: {_one_line(exc)}{_URL_HINT}"
            ) from None
        _ping_when_idle(engine.sync_engine)
        if self.dialect == "sqlite":
            event.listen(engine.sync_engine, "connect", _prepare_sqlite)
        return engine

    @property
    def dialect(self) -> str:
        """ "sqlite" or "postgresql"."""
        return self.url.get_backend_name()

    @property
    def safe_url(self) -> str:
        """The URL with its password masked, for messages and logs."""
        return self.url.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        schema = f", schema={self.schema!r}" if self.schema else ""
        return f"Database({self.safe_url!r}{schema})"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """A session that never commits on its own: callers commit (or use `session.begin()`)."""
        from sqlmodel.ext.asyncio.session import AsyncSession

        async with AsyncSession(self.engine, expire_on_commit=False) as session:
            yield session

    @asynccontextmanager
    async def connect(
        self, *, autocommit: bool = False, generic_plans: bool = False
    ) -> AsyncIterator[AsyncConnection]:
        """A transaction on a raw connection; failing to connect raises DatabaseUnavailable.

        `autocommit`: no transaction, each statement on its own (on PostgreSQL this saves the
        BEGIN and ROLLBACK round trips of a read that needs no single view of the data).
        """
        try:
            conn = await (self.generic_engine if generic_plans else self.engine).connect()
            if autocommit:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
        except (sa.exc.DBAPIError, OSError, TimeoutError) as exc:
            raise self._unavailable("cannot connect", exc) from exc
        try:
            async with conn.begin():
                yield conn
        finally:
            await conn.close()

    async def run_sync(
        self,
        fn: Callable[..., T],
        *args: Any,
        write: bool = False,
        snapshot: bool = True,
        generic_plans: bool = False,
        **kwargs: Any,
    ) -> T:
        """`fn(connection, *args, **kwargs)` on a synchronous Connection, as one unit of work.

        Why: aiosqlite hops to its own thread and back for every cursor call (about 0.25 ms
        each, four or more per statement), so a search of four statements or a batch of
        writes spends most of its time hopping. On an SQLite file the whole unit runs in one
        worker thread on plain sqlite3 (one hop in all); on PostgreSQL it runs through
        SQLAlchemy's greenlet bridge on the asyncpg connection, which costs no thread at all.
        `write=True` commits at the end (rolls back if `fn` raises); otherwise the
        transaction is rolled back, so a read can never leave anything behind.
        `snapshot=False` (a read whose statements need not see one state of the data): on
        PostgreSQL no transaction at all, two round trips fewer (0.25 ms of a 4 ms search).
        `generic_plans=True` (PostgreSQL): on a connection that plans each prepared statement
        once, for statements whose plan does not depend on their values and that cost more to
        plan than to run (discussion search's one statement: 9 ms to plan, 1-3 ms to run; with
        the default, PostgreSQL kept planning it anew for each search).
        """
        engine = self._sqlite_thread_engine()
        if engine is None:
            autocommit = not (snapshot or write)
            async with self.connect(autocommit=autocommit, generic_plans=generic_plans) as conn:
                result = await conn.run_sync(fn, *args, **kwargs)
                if not write:
                    await conn.rollback()
                return result
        return await asyncio.to_thread(self._run_in_thread, engine, fn, args, kwargs, write)

    @property
    def runs_in_thread(self) -> bool:
        """True when `run_sync` uses a worker thread (an SQLite file), not the event loop."""
        return self._sqlite_thread_engine() is not None

    def _run_in_thread(
        self,
        engine: sa.Engine,
        fn: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        write: bool,
    ) -> T:
        try:
            conn = engine.connect()
        except (sa.exc.DBAPIError, OSError) as exc:
            raise self._unavailable("cannot connect", exc) from exc
        with conn:
            with conn.begin() as transaction:
                result = fn(conn, *args, **kwargs)
                if not write:
                    transaction.rollback()
            return result

    def _sqlite_thread_engine(self) -> sa.Engine | None:
        """A plain-sqlite3 engine on the same file (None for PostgreSQL or in-memory SQLite)."""
        if self.dialect != "sqlite" or self.url.database in (None, "", ":memory:"):
            return None
        with self._thread_engine_lock:
            if self._thread_engine is None:
                engine = sa.create_engine(
                    self.url.set(drivername="sqlite+pysqlite"),
                    echo=self._echo,
                    connect_args={"check_same_thread": False},  # pooled across worker threads
                    pool_use_lifo=True,
                )
                event.listen(engine, "connect", _prepare_sqlite)
                self._thread_engine = engine
            return self._thread_engine

    @asynccontextmanager
    async def bulk_load(self) -> AsyncIterator[None]:
        """Around a load of many summaries or comments: the search indexes are built the way a
        bulk load wants (storage.search.index.bulk_load_begin / bulk_load_end)."""
        async with self.connect() as conn:
            await search_index.bulk_load_begin(conn)
        try:
            yield
        finally:
            async with self.connect() as conn:
                await search_index.bulk_load_end(conn)

    async def analyze(self) -> None:
        """After a bulk load: refresh the planner's statistics (query plans depend on them) and
        compact the search index (storage.search.index.compact)."""
        async with self.connect() as conn:
            if self.dialect == "postgresql":
                # Only this schema's tables: a bare ANALYZE reads every schema of a shared
                # database and waits on any table another session holds locked.
                names = (
                    await conn.scalars(
                        sa.text(
                            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
                        )
                    )
                ).all()
                if names:
                    quote = self.engine.dialect.identifier_preparer.quote_identifier
                    await conn.execute(sa.text("ANALYZE " + ", ".join(quote(n) for n in names)))
            else:
                await conn.execute(sa.text("ANALYZE"))
            await search_index.compact(conn)

    async def ping(self) -> None:
        """Raise DatabaseUnavailable unless a trivial query succeeds."""
        try:
            async with self.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except DatabaseUnavailable:
            raise
        except (sa.exc.DBAPIError, OSError) as exc:
            raise self._unavailable("cannot query", exc) from exc

    def _unavailable(self, what: str, exc: BaseException) -> DatabaseUnavailable:
        hint = ""
        if self.dialect == "sqlite" and self.url.database not in (None, "", ":memory:"):
            hint = f" (file {Path(self.url.database or '').resolve()})"
        return DatabaseUnavailable(f"database {self.safe_url}{hint}: {what}: {_one_line(exc)}")

    # --- schema management -------------------------------------------------------------

    def alembic_config(self) -> Config:
        """Alembic configuration pointing at the packaged migrations (no alembic.ini needed)."""
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        return cfg

    async def upgrade(self, revision: str = "head") -> None:
        """Run Alembic `upgrade head` against this database (and schema).

        When the database already is at the head, one query says so and Alembic is not even
        imported (most commands start with an upgrade; loading Alembic cost them 0.2 s).
        """
        if revision == "head" and await self._at_head():
            return
        from alembic import command

        cfg = self.alembic_config()

        def run(sync_conn: sa.Connection) -> None:
            cfg.attributes["connection"] = sync_conn
            command.upgrade(cfg, revision)

        async with self.connect() as conn:
            if self.dialect == "postgresql":
                await conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(:k, hashtext(current_schema()))"),
                    {"k": _UPGRADE_LOCK},
                )
            await conn.run_sync(run)

    async def _at_head(self) -> bool:
        heads = head_revisions()
        if heads is None:
            return False
        try:
            # run_sync: on an SQLite file a plain sqlite3 connection, no async engine needed.
            stored = await self.run_sync(_stored_revisions, snapshot=False)
        except sa.exc.DBAPIError:  # no version table yet: a new database
            return False
        return stored == heads

    async def current_revision(self) -> str | None:
        from alembic.migration import MigrationContext

        def read(sync_conn: sa.Connection) -> str | None:
            return MigrationContext.configure(sync_conn).get_current_revision()

        async with self.connect() as conn:
            return await conn.run_sync(read)

    async def schema_diff(self) -> list[Any]:
        """Differences between storage.models and the migrated database (empty = in sync)."""
        from alembic.autogenerate import compare_metadata
        from alembic.migration import MigrationContext
        from sqlmodel import SQLModel

        import storage.models  # noqa: F401  (registers every table on SQLModel.metadata)
        from storage.migrations.filters import include_name

        def compare(sync_conn: sa.Connection) -> list[Any]:
            ctx = MigrationContext.configure(
                sync_conn, opts={"compare_type": True, "include_name": include_name}
            )
            return list(compare_metadata(ctx, SQLModel.metadata))

        async with self.connect() as conn:
            return await conn.run_sync(compare)

    async def create_schema(self) -> None:
        """PostgreSQL: CREATE SCHEMA for `schema` (no-op on SQLite or without a schema)."""
        if self.dialect != "postgresql" or not self.schema:
            return
        quoted = self.engine.dialect.identifier_preparer.quote_identifier(self.schema)
        async with self.connect() as conn:
            await conn.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {quoted}"))

    async def drop_schema(self) -> None:
        """PostgreSQL: DROP SCHEMA ... CASCADE for `schema` (no-op on SQLite)."""
        if self.dialect != "postgresql" or not self.schema:
            return
        quoted = self.engine.dialect.identifier_preparer.quote_identifier(self.schema)
        async with self.connect() as conn:
            await conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {quoted} CASCADE"))

    async def dispose(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
        if self._generic_engine is not None:
            await self._generic_engine.dispose()
        if self._thread_engine is not None:
            self._thread_engine.dispose()

    async def __aenter__(self) -> Database:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.dispose()

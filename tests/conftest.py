"""Shared fixtures: a migrated database on each backend.

`db` runs every test that uses it twice: on a fresh SQLite file and on the real PostgreSQL
(each test in its own schema, so parallel runs never collide). Without a reachable PostgreSQL the
PostgreSQL half skips with the reason, unless ANBOT_REQUIRE_POSTGRES=1 (set by .ci/run), which
turns that skip into a failure.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sandbox.calllog import OBSERVERS, LoggedCall
from sandbox.contract import Violation, contract
from sandbox.gateway import DISPATCH_OBSERVERS
from storage.db import Database

POSTGRES_URL = os.environ.get(
    "ANBOT_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_POSTGRES = os.environ.get("ANBOT_REQUIRE_POSTGRES") == "1"
DATA = Path(__file__).parent / "data"


def _postgres_reachable() -> str | None:
    """None when PostgreSQL answers, else why not."""
    import asyncpg  # type: ignore[import-untyped]

    dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://")

    async def probe() -> None:
        conn = await asyncpg.connect(dsn, timeout=3)
        await conn.close()

    try:
        # Called from async fixtures, where a loop is already running: probe in a thread.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, probe()).result()
    except Exception as exc:  # any failure means "not reachable"; the reason is reported
        return f"PostgreSQL at {POSTGRES_URL} not reachable: {exc!r}"
    return None


_pg_problem: str | bool | None = False


def postgres_or_skip() -> None:
    global _pg_problem
    if _pg_problem is False:
        _pg_problem = _postgres_reachable()
    if isinstance(_pg_problem, str):
        if REQUIRE_POSTGRES:
            pytest.fail(f"ANBOT_REQUIRE_POSTGRES=1 but {_pg_problem}")
        pytest.skip(_pg_problem)


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'anbot.db'}"


async def _pg_database() -> AsyncIterator[Database]:
    postgres_or_skip()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    db = Database(POSTGRES_URL, schema=schema)
    await db.create_schema()
    try:
        await db.upgrade()
        yield db
    finally:
        await db.drop_schema()
        await db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request: pytest.FixtureRequest, sqlite_url: str) -> AsyncIterator[Database]:
    """A migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        database = Database(sqlite_url)
        await database.upgrade()
        try:
            yield database
        finally:
            await database.dispose()
    else:
        async for database in _pg_database():
            yield database


@pytest.fixture
async def sqlite_db(sqlite_url: str) -> AsyncIterator[Database]:
    """SQLite only, for tests about the embedded default (WAL, FTS5)."""
    database = Database(sqlite_url)
    await database.upgrade()
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
async def pg_db() -> AsyncIterator[Database]:
    """PostgreSQL only, for tests about scale-out (advisory locks, several processes)."""
    async for database in _pg_database():
        yield database


# -- Discord's contract ------------------------------------------------------------------------
# Every REST call any sandbox answers in any test is checked against Discord's OpenAPI spec
# (sandbox/contract.py, with its listed deviations): every response body, and every request body
# the sandbox accepted (one it refused with 400 is the sandbox doing its job). A violation fails
# the test, so the sandbox cannot drift from what Discord answers. ANBOT_CONTRACT_REPORT=<file>
# appends each violation as a JSON line and does not fail (for counting).
CONTRACT_REPORT = os.environ.get("ANBOT_CONTRACT_REPORT")


def contract_violations(call: LoggedCall) -> list[Violation]:
    spec = contract()
    found: list[Violation] = []
    if call.status < 400 and call.request_json is not None:
        body = call.request_json
        if isinstance(body, dict) and "_files" in body:
            body = {k: v for k, v in body.items() if k != "_files"}
        found += spec.check_request(call.method, call.path, body)
    found += spec.check_response(call.method, call.path, call.status, call.response_json)
    return found


@pytest.fixture(autouse=True)
def discord_contract(request: pytest.FixtureRequest) -> Iterator[list[LoggedCall]]:
    """Also every gateway dispatch against Discord's documented shape of that event."""
    calls: list[LoggedCall] = []
    events: list[tuple[str, Any]] = []

    def dispatched(name: str, data: Any) -> None:
        events.append((name, data))

    OBSERVERS.append(calls.append)
    DISPATCH_OBSERVERS.append(dispatched)
    try:
        yield calls
    finally:
        OBSERVERS.remove(calls.append)
        DISPATCH_OBSERVERS.remove(dispatched)
    violations = [v for call in calls for v in contract_violations(call)]
    violations += [v for name, data in events for v in contract().check_event(name, data)]
    if CONTRACT_REPORT:
        with open(CONTRACT_REPORT, "a", encoding="utf-8") as out:
            out.write(
                json.dumps(
                    {"test": request.node.nodeid, "calls": len(calls), "events": len(events)}
                )
                + "\n"
                + "".join(json.dumps({"violation": str(v)}) + "\n" for v in violations)
            )
        return
    if violations:
        shown = "\n".join(sorted({str(v) for v in violations})[:30])
        pytest.fail(f"{len(violations)} violations of Discord's OpenAPI spec:\n{shown}")

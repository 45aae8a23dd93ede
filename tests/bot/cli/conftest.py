"""Fixtures for the command line: a PostgreSQL database of its own for a CLI run.

The CLI reads only ANBOT_DATABASE_URL (no schema option), so a PostgreSQL test gets a whole
database, created here and dropped afterwards; parallel runs never share one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest

from tests.conftest import POSTGRES_URL, postgres_or_skip


async def _admin(statement: str) -> None:
    import asyncpg  # type: ignore[import-untyped]

    conn = await asyncpg.connect(POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


@pytest.fixture
def pg_cli_url() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database (dropped after the test)."""
    postgres_or_skip()
    name = f"cli_{uuid.uuid4().hex[:12]}"
    asyncio.run(_admin(f"CREATE DATABASE {name}"))
    try:
        yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))

"""Fixtures shared by the storage tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.db import Database
from storage.importer import import_database


@pytest.fixture
async def full_db(db: Database, data_dir: Path) -> Database:
    """The `db` fixture (both backends) with the whole summaries database imported."""
    await import_database(db, data_dir / "an-summaries-database.csv")
    return db

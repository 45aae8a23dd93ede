"""Loading one migration file as a module, for tests that compare what it created with what
a later migration made of it (the versions folder is not a package)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import storage.migrations

VERSIONS = Path(storage.migrations.__file__).parent / "versions"


def load_migration(filename: str) -> ModuleType:
    """The migration `filename` (e.g. "0014_search_keys_plpgsql.py"), imported from its file."""
    path = VERSIONS / filename
    spec = importlib.util.spec_from_file_location(f"migration_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module

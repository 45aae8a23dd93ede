"""storage.search.keys defines every key marker and block level once; migration 0006 keeps its
own snapshot copies in SQL (migrations are never edited to follow the code), so this test pins
that the copies agree. The migration is read as text, not imported."""

from __future__ import annotations

import ast
from pathlib import Path

import sqlalchemy as sa

import storage.migrations
from storage.db import Database
from storage.search.keys import BLOCK, COMMENT_LEVELS, FILTER_COLUMNS, JOIN, LEVELS, NAME

MIGRATION = Path(storage.migrations.__file__).parent / "versions/0006_search_keys_postgres.py"


COMMENTS_MIGRATION = MIGRATION.parent / "0010_web_archive.py"
COMMENTS_0013 = MIGRATION.parent / "0013_comment_index_newest_first.py"


def _assignments(migration: Path = MIGRATION) -> dict[str, ast.expr]:
    tree = ast.parse(migration.read_text(encoding="utf-8"))
    return {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _sql_char(literal: str) -> str:
    """The character of a PostgreSQL escape string `U&'\\XXXX'`."""
    assert literal.startswith("U&'\\") and literal.endswith("'"), literal
    return chr(int(literal[4:-1], 16))


def test_migration_0006_markers_agree_with_the_keys_module() -> None:
    found = _assignments()
    assert _sql_char(ast.literal_eval(found["JOIN"])) == JOIN
    assert _sql_char(ast.literal_eval(found["BLOCK"])) == BLOCK
    tags = ast.literal_eval(found["TAGS"])
    assert {column: _sql_char(tag) for column, tag in tags.items()} == FILTER_COLUMNS
    levels = found["LEVELS"]
    assert isinstance(levels, ast.Call) and ast.unparse(levels.func) == "range"
    assert range(*(ast.literal_eval(arg) for arg in levels.args)) == LEVELS


async def test_postgres_functions_build_keys_with_the_same_markers(pg_db: Database) -> None:
    """The functions the migration created, asked directly: pairs, tags and blocks."""
    async with pg_db.connect() as conn:
        pair = await conn.scalar(sa.text("SELECT (anbot_pairs(ARRAY['a', 'b']))[1]"))
        tag = await conn.scalar(sa.text("SELECT (anbot_tags(:tag, 'Leike'))[1]"), {"tag": "x"})
        keys = await conn.scalar(
            sa.text(
                "SELECT anbot_search_keys('anbot_words'::regconfig, 5000, 't', 'Jan', NULL,"
                " 'Deep', 's', NULL)::text"
            )
        )
    assert pair == f"a{JOIN}b"
    assert tag == "xleike"
    assert f"{FILTER_COLUMNS['authors']}jan" in keys
    assert f"{FILTER_COLUMNS['section']}deep" in keys
    blocks = {f"{BLOCK}{level}:{5000 >> level}" for level in LEVELS}
    assert all(f"'{block}'" in keys for block in blocks)


def test_migration_0010_comment_keys_agree_with_the_keys_module() -> None:
    """The comment keys (0010): the by: tag is the summarizer filter's, the blocks' marker and
    levels are storage.search.keys' (the walk of storage.search.postgres reads them)."""
    found = _assignments(COMMENTS_MIGRATION)
    assert _sql_char(ast.literal_eval(found["TAG"])) == FILTER_COLUMNS["summarizer"]
    assert _sql_char(ast.literal_eval(found["BLOCK"])) == BLOCK
    levels = found["COMMENT_LEVELS"]
    assert isinstance(levels, ast.Call) and ast.unparse(levels.func) == "range"
    assert range(*(ast.literal_eval(arg) for arg in levels.args)) == COMMENT_LEVELS


def test_migration_0013_name_marker_and_levels_agree_with_the_keys_module() -> None:
    """0013 keys a commenter's whole name with storage.search.keys.NAME, and keeps the blocks."""
    found = _assignments(COMMENTS_0013)
    assert _sql_char(ast.literal_eval(found["NAME"])) == NAME
    assert _sql_char(ast.literal_eval(found["BLOCK"])) == BLOCK
    levels = found["COMMENT_LEVELS"]
    assert isinstance(levels, ast.Call) and ast.unparse(levels.func) == "range"
    assert range(*(ast.literal_eval(arg) for arg in levels.args)) == COMMENT_LEVELS

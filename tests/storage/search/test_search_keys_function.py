"""Migration 0014 rewrote PostgreSQL's anbot_search_keys in PL/pgSQL (per-row cost); the keys it
gives must be the ones 0006's SQL function gave, so that rows stored before keep matching.

The real summaries database is imported (keys computed by the migrated function as each row is
stored), plus rows with the edge cases (NULLs, a JSON null, several opinions, accents, an
empty row); each row's stored keys are compared with 0006's SQL definition, created beside it
under another name.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from storage.db import Database
from storage.importer import import_database
from tests.storage.search.migration_source import load_migration

ARGS = "'anbot_words'::regconfig, id, title, authors, summarizer, section, summary, opinions::jsonb"


async def test_plpgsql_keys_equal_the_sql_function_keys(pg_db: Database, data_dir: Path) -> None:
    await import_database(pg_db, data_dir / "an-summaries-database.csv")
    sql = load_migration("0014_search_keys_plpgsql.py").SQL
    old = sql.replace("anbot_search_keys(", "anbot_search_keys_0006(", 1)
    edge_cases = [
        {"title": "", "authors": None, "summarizer": None, "section": "", "summary": "",
         "opinions": "null"},
        {"title": "Naïve Schölkopf — Gagné's ÉLAN", "authors": "Léon Bottou, Jan Leike",
         "summarizer": "Rohin", "section": "Technical AI alignment / Learning human intent",
         "summary": "Deep RL from human preferences. " * 40,
         "opinions": '[{"by": "Rohin", "text": "Nice."}, {"by": "Cody", "text": "Déjà vu"}]'},
        {"title": "x", "authors": "", "summarizer": "", "section": "Other", "summary": "y",
         "opinions": "[]"},
    ]  # fmt: skip
    async with pg_db.connect() as conn:
        issue = await conn.scalar(sa.text("SELECT min(id) FROM issue"))
        for n, row in enumerate(edge_cases):
            await conn.execute(
                sa.text(
                    "INSERT INTO summary (issue_id, position, dedupe_key, section, title,"
                    " authors, summarizer, summary, opinions, cross_refs, highlight, source,"
                    " updated_at) VALUES (:issue, :n, :key, :section, :title, :authors,"
                    " :summarizer, :summary, CAST(:opinions AS json), '[]', false, 'database',"
                    " now())"
                ),
                {**row, "issue": issue, "n": n, "key": f"edge {n}"},
            )
        await conn.execute(sa.text(old))
        rows = await conn.scalar(sa.text("SELECT count(*) FROM summary"))
        differ = await conn.scalar(
            sa.text(
                "SELECT count(*) FROM summary"
                f" WHERE search_keys IS DISTINCT FROM anbot_search_keys_0006({ARGS})"
            )
        )
        language = await conn.scalar(
            sa.text(
                "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang"
                " WHERE p.proname = 'anbot_search_keys'"
                " AND p.pronamespace = current_schema()::regnamespace"
            )
        )
    assert language == "plpgsql"
    assert rows > 1000
    assert differ == 0

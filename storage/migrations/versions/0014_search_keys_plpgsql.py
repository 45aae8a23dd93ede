"""PostgreSQL: anbot_search_keys in PL/pgSQL, same keys, 4-5x cheaper to compute per row.

summary.search_keys is a generated column computed by anbot_search_keys (0006). As an SQL
function whose body has a FROM it is never inlined, and PostgreSQL 15 plans such a body again
on every call: with the helpers it calls (anbot_stems, anbot_pairs, ...; not inlined either),
3.4 ms a row even for an all-NULL row, measured on the shared test machine. That was most of the
cost of storing a summary: an `anbot ingest` of a 10k-entry feed spent ~70 s of the server's time
on it, a 100 MB `import-database` several minutes. PL/pgSQL keeps its statements' plans for the
session: the same keys cost ~0.7-1.5 ms a row (the same function with 1,000 rows of feed
entries: 6.8 s → 1.5 s). anbot_comment_keys (0010) is PL/pgSQL for the same reason.

The function returns exactly the keys the SQL one did (the order of the keys in the array does
not matter: array_to_tsvector sorts them), so stored rows need no recomputation;
tests/storage/search/test_search_keys_function.py compares the two on real rows.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Markers of storage.search.keys (as in 0006): section, authors, summarizer tags; id blocks.
SIGNATURE = """anbot_search_keys(
      cfg regconfig, id integer, title text, authors text, summarizer text, section text,
      summary text, opinions jsonb
    ) RETURNS tsvector"""

PLPGSQL = f"""
    CREATE OR REPLACE FUNCTION {SIGNATURE}
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
    DECLARE
      t text[] := anbot_stems(cfg, title);
      a text[] := anbot_stems(cfg, authors);
      w text[] := anbot_stems(cfg, summarizer);
      s text[] := anbot_stems(cfg, section);
      b text[] := anbot_stems(cfg, summary);
      keys text[] := t || anbot_pairs(t) || a || anbot_pairs(a) || w || anbot_pairs(w)
        || s || anbot_pairs(s) || b || anbot_pairs(b);
      o text[];
      opinion text;
    BEGIN
      FOREACH opinion IN ARRAY anbot_json_strings(opinions) LOOP
        o := anbot_stems(cfg, opinion);
        keys := keys || o || anbot_pairs(o);
      END LOOP;
      keys := keys || anbot_tags(U&'\\E002', section) || anbot_tags(U&'\\E003', authors)
        || anbot_tags(U&'\\E004', summarizer);
      FOR level IN 10..16 LOOP
        keys := keys || (U&'\\E005' || level || ':' || (id >> level));
      END LOOP;
      RETURN array_to_tsvector(keys);
    END
    $f$
"""

# 0006's definition, put back by the downgrade (and the reference the test compares against).
SQL = f"""
    CREATE OR REPLACE FUNCTION {SIGNATURE}
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
      SELECT array_to_tsvector(
        t || anbot_pairs(t) || a || anbot_pairs(a) || w || anbot_pairs(w)
        || s || anbot_pairs(s) || b || anbot_pairs(b)
        || coalesce((SELECT array_agg(key)
                     FROM unnest(anbot_json_strings(opinions)) AS opinion,
                          LATERAL (SELECT anbot_stems(cfg, opinion) AS o) AS stems,
                          unnest(o || anbot_pairs(o)) AS key),
                    '{{}}')
        || anbot_tags(U&'\\E002', section)
        || anbot_tags(U&'\\E003', authors)
        || anbot_tags(U&'\\E004', summarizer)
        || ARRAY(SELECT U&'\\E005' || level || ':' || (id >> level)
                 FROM generate_series(10, 16) AS level)
      )
      FROM (SELECT anbot_stems(cfg, title) AS t, anbot_stems(cfg, authors) AS a,
                   anbot_stems(cfg, summarizer) AS w, anbot_stems(cfg, section) AS s,
                   anbot_stems(cfg, summary) AS b) AS stems
    $f$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PLPGSQL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SQL)

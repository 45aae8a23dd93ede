"""PostgreSQL: anbot_index_query, the part of a search's tsquery worth asking the GIN index.

GIN answers `rare & common` by reading the rare word's entries and, for each of them, stepping
through the common word's posting list to that row: the common list's pages are read and
decoded whatever the rare word's count. At 1M comments a word found in 99% of them ("the", or
the bench's w0) costs ~2 ms a window that way, three windows a search (storage.search
.discussions._walk): `w395 w0` took 12-14 ms where `w395` alone took 3-4 ms.

anbot_index_query returns the AND of the query's lexemes (the stems of one-word parts, the pairs
of the others: anbot_part_query's lexemes) without the most common ones, as long as what is
left out still lets through at least `least_share` of the rows it matched (their shares, as
PostgreSQL's column statistics give them, multiplied: a word in 99% of rows left out costs 1%
more rows read, one in 30% up to 3.3 times as many) and one lexeme is kept (or none, when the
caller ANDs another, `others`). The caller checks the whole query on the rows the index gives.
`common` and `shares` are the column's most common lexemes and their shares (storage.search
.postgres.common_lexemes reads them from pg_stats and keeps them a while: reading pg_stats in
every search cost ~1 ms).

SQLite needs nothing: FTS5 walks the newest rows first and stops at the limit.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SIGNATURE = (
    "anbot_index_query(cfg regconfig, parts text[], common text[], shares real[],"
    " least_share real, others boolean)"
)
FUNCTION = f"""
    CREATE OR REPLACE FUNCTION {SIGNATURE} RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
    DECLARE
      lexemes text[] := '{{}}';
      stems text[];
      part text;
      kept text[] := '{{}}';
      left_share real := 1;
      remaining integer;
      item record;
    BEGIN
      FOREACH part IN ARRAY coalesce(parts, '{{}}') LOOP
        stems := anbot_stems(cfg, part);
        IF cardinality(stems) > 1 THEN
          stems := anbot_pairs(stems);
        END IF;
        lexemes := lexemes || stems;
      END LOOP;
      SELECT count(DISTINCT lexeme) INTO remaining FROM unnest(lexemes) AS lexeme;
      -- The most common first: each left out while what is left out still lets through
      -- least_share of the rows and a rarer one is kept.
      FOR item IN
        SELECT lexeme, coalesce(shares[array_position(common, lexeme)], 0) AS share
        FROM unnest(lexemes) AS lexeme
        GROUP BY lexeme
        ORDER BY 2 DESC, 1
      LOOP
        remaining := remaining - 1;
        IF cardinality(kept) = 0 AND (remaining > 0 OR others)
           AND left_share * item.share >= least_share THEN
          left_share := left_share * item.share;
        ELSE
          kept := kept || item.lexeme;
        END IF;
      END LOOP;
      RETURN anbot_and(kept, false);
    END
    $f$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")

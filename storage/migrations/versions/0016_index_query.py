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


JOIN = "U&'\\E000'"  # storage.search.keys.JOIN, as in 0006

# The helpers with a FROM (0006; anbot_tags as 0011 left it), each one statement: (signature,
# return type, statement). PostgreSQL does not inline an SQL function whose body has a FROM, and
# one called from PL/pgSQL keeps its plan only for the transaction (the simple-expression state
# it lives in is made per transaction): anbot_search_query and anbot_index_query spent ~1.4 ms
# of every search planning these again (~0.1 ms for both when called twice in a transaction).
# As PL/pgSQL functions of the same statement, their plans are kept for the session. The keys
# functions (0013, 0014) call them too, and gain the same on every write.
HELPERS = (
    (
        "anbot_stems(cfg regconfig, doc text)",
        "text[]",
        """SELECT coalesce(array_agg(lexeme ORDER BY pos), '{}')
           FROM (SELECT lexeme, unnest(positions) AS pos
                 FROM unnest(to_tsvector(cfg, anbot_norm(doc)))) AS words""",
    ),
    (
        "anbot_pairs(stems text[])",
        "text[]",
        f"""SELECT coalesce(array_agg(a || {JOIN} || b), '{{}}')
            FROM unnest(stems[1:cardinality(stems) - 1], stems[2:]) AS pair(a, b)""",
    ),
    (
        "anbot_tags(tag text, doc text)",
        "text[]",
        """SELECT coalesce(array_agg(tag || lexeme ORDER BY pos), '{}')
           FROM (SELECT lexeme, unnest(positions) AS pos
                 FROM unnest(to_tsvector('anbot_names'::regconfig, anbot_norm(doc)))) AS words""",
    ),
    (
        "anbot_and(lexemes text[], prefix boolean)",
        "tsquery",
        """SELECT CASE WHEN cardinality(lexemes) > 0 THEN (
             SELECT string_agg(
                      '''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || ''''
                      || CASE WHEN prefix AND i = cardinality(lexemes) THEN ':*' ELSE '' END,
                      ' & ' ORDER BY i)
             FROM unnest(lexemes) WITH ORDINALITY AS t(lexeme, i))::tsquery
           END""",
    ),
)


def helper(signature: str, returns: str, statement: str, *, plpgsql: bool) -> str:
    """CREATE OR REPLACE of one of HELPERS, in PL/pgSQL or (as before) in SQL."""
    language, body = (
        ("plpgsql", f"BEGIN RETURN ({statement}); END") if plpgsql else ("sql", statement)
    )
    return (
        f"CREATE OR REPLACE FUNCTION {signature} RETURNS {returns}"
        f" LANGUAGE {language} IMMUTABLE PARALLEL SAFE AS $f$ {body} $f$"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for signature, returns, statement in HELPERS:
            op.execute(helper(signature, returns, statement, plpgsql=True))
        op.execute(FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
        for signature, returns, statement in HELPERS:
            op.execute(helper(signature, returns, statement, plpgsql=False))

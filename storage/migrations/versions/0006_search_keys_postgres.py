"""Search on PostgreSQL: one keys tsvector, windowed by id, instead of the weighted search_vector.

Measured at 100k summaries, PostgreSQL missed the 5 ms p99 by far (89 ms), for three reasons:
- the newest matches of a word were found by walking the primary key backwards and testing each
  row's search_vector (de-TOASTed: 2 µs a row, 8,000 rows for a word in 2.5% of the rows), or
  by a bitmap scan that visits every match (2,300 heap rows, 12 ms) — GIN cannot give the newest
  first, and the planner had only these two;
- a phrase needs a recheck of each candidate's positions: "powerful agent" tested every row
  (176 ms);
- the english configuration drops stopwords, so "do we" had no index at all (a regex scan,
  134 ms).

`summary.search_keys` (generated, GIN) holds, without positions:
- the stem of every word, stopwords included (configuration anbot_words: english snowball with
  no stopword list, and no whole-compound tokens, so "self-driving" is the words self, driving);
- every pair of adjacent stems within one column (`power·agent`), as SQLite's keys (0004): a
  phrase is an AND of pairs, exact in the index, no recheck;
- the words of section, authors and summarizer tagged with their column, for the filters;
- the blocks of ids holding the id (2**10 to 2**16 ids, a lexeme per size), so the index itself
  can answer "the matches among these ids": storage.search_postgres walks back window by window
  and visits only the heap rows of a window's matches.
The text is cut to letters and digits first, as storage.query cuts a query, so "GPT-3" is the
pair gpt·3 on both sides. Queries are built by anbot_search_query from the query's raw words,
so index side and query side always share one tokenizer and stemmer.

search_vector, its GIN and 0003's filter indexes go (the tags replace them). The btree on
lower(summarizer) must go too: with it, the plan PostgreSQL keeps for the prepared statement
ANDs the GIN matches with the btree's rows of the summarizer (61,000 rows for by:Rohin, 2.5 ms).
The downgrade restores 0005's column and 0003's indexes.

SQLite: nothing (0004 did the same for FTS5).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Lexeme marks: private-use characters storage.query refuses in input (as SQLite's keys, 0004).
JOIN = "U&'\\E000'"
TAGS = {"section": "U&'\\E002'", "authors": "U&'\\E003'", "summarizer": "U&'\\E004'"}
BLOCK = "U&'\\E005'"
# Each id is in one block of 2**level ids at every level: `10:97` holds ids 97*1024 to 98*1024-1.
LEVELS = range(10, 17)  # storage.search_postgres.LEVELS

_FUNCTIONS = (
    # Letters and digits only, as storage.query reads a query.
    """
    CREATE FUNCTION anbot_norm(doc text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $f$ SELECT regexp_replace(coalesce(doc, ''), '[^[:alnum:]]+', ' ', 'g') $f$
    """,
    # The stems of doc's words in order (every word has one: no stopwords in anbot_words).
    """
    CREATE FUNCTION anbot_stems(cfg regconfig, doc text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
      SELECT coalesce(array_agg(lexeme ORDER BY pos), '{}')
      FROM (SELECT lexeme, unnest(positions) AS pos
            FROM unnest(to_tsvector(cfg, anbot_norm(doc)))) AS words
    $f$
    """,
    # Two slices zipped: stems[i] on a text[] walks the array from its start every time.
    f"""
    CREATE FUNCTION anbot_pairs(stems text[]) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
      SELECT coalesce(array_agg(a || {JOIN} || b), '{{}}')
      FROM unnest(stems[1:cardinality(stems) - 1], stems[2:]) AS pair(a, b)
    $f$
    """,
    # A filter's words: lower case, not stemmed (names and section titles as written).
    """
    CREATE FUNCTION anbot_tags(tag text, doc text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
      SELECT coalesce(array_agg(tag || lexeme ORDER BY pos), '{}')
      FROM (SELECT lexeme, unnest(positions) AS pos
            FROM unnest(to_tsvector('simple'::regconfig, anbot_norm(doc)))) AS words
    $f$
    """,
    # The strings of the opinions JSON ([{"by": …, "text": …}]), one element each.
    """
    CREATE FUNCTION anbot_json_strings(doc jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
      SELECT coalesce(array_agg(value #>> '{}'), '{}')
      FROM jsonb_path_query(coalesce(doc, '[]'::jsonb), 'strict $.**') AS value
      WHERE jsonb_typeof(value) = 'string'
    $f$
    """,
    f"""
    CREATE FUNCTION anbot_search_keys(
      cfg regconfig, id integer, title text, authors text, summarizer text, section text,
      summary text, opinions jsonb
    ) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
      SELECT array_to_tsvector(
        t || anbot_pairs(t) || a || anbot_pairs(a) || w || anbot_pairs(w)
        || s || anbot_pairs(s) || b || anbot_pairs(b)
        || coalesce((SELECT array_agg(key)
                     FROM unnest(anbot_json_strings(opinions)) AS opinion,
                          LATERAL (SELECT anbot_stems(cfg, opinion) AS o) AS stems,
                          unnest(o || anbot_pairs(o)) AS key),
                    '{{}}')
        || anbot_tags({TAGS["section"]}, section)
        || anbot_tags({TAGS["authors"]}, authors)
        || anbot_tags({TAGS["summarizer"]}, summarizer)
        || ARRAY(SELECT {BLOCK} || level || ':' || (id >> level)
                 FROM generate_series({LEVELS.start}, {LEVELS.stop - 1}) AS level)
      )
      FROM (SELECT anbot_stems(cfg, title) AS t, anbot_stems(cfg, authors) AS a,
                   anbot_stems(cfg, summarizer) AS w, anbot_stems(cfg, section) AS s,
                   anbot_stems(cfg, summary) AS b) AS stems
    $f$
    """,
    # One word: its stem; several: the AND of their pairs; no letters or digits: NULL.
    """
    CREATE FUNCTION anbot_part_query(cfg regconfig, part text) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
    DECLARE
      stems text[] := anbot_stems(cfg, part);
    BEGIN
      IF cardinality(stems) = 0 THEN
        RETURN NULL;
      END IF;
      IF cardinality(stems) > 1 THEN
        stems := anbot_pairs(stems);
      END IF;
      RETURN anbot_and(stems, false);
    END
    $f$
    """,
    # AND of lexemes (each quoted), the last one a prefix when asked.
    """
    CREATE FUNCTION anbot_and(lexemes text[], prefix boolean) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
      SELECT CASE WHEN cardinality(lexemes) > 0 THEN (
        SELECT string_agg(
                 '''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || ''''
                 || CASE WHEN prefix AND i = cardinality(lexemes) THEN ':*' ELSE '' END,
                 ' & ' ORDER BY i)
        FROM unnest(lexemes) WITH ORDINALITY AS t(lexeme, i))::tsquery
      END
    $f$
    """,
    # The whole query: words and phrases (parts), what must not match (excluded), the filters'
    # tagged words. (storage.search_postgres adds the window of id blocks.)
    f"""
    CREATE FUNCTION anbot_search_query(
      cfg regconfig, parts text[], excluded text[], section text, authors text,
      author_prefix boolean, summarizer text
    ) RETURNS tsquery
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
    DECLARE
      result tsquery;
      piece tsquery;
      part text;
    BEGIN
      FOREACH part IN ARRAY coalesce(parts, '{{}}') LOOP
        result := anbot_both(result, anbot_part_query(cfg, part));
      END LOOP;
      result := anbot_both(
        result, anbot_and(anbot_tags({TAGS["section"]}, section), false));
      result := anbot_both(
        result, anbot_and(anbot_tags({TAGS["authors"]}, authors), author_prefix));
      result := anbot_both(
        result, anbot_and(anbot_tags({TAGS["summarizer"]}, summarizer), false));
      IF result IS NULL THEN
        RETURN NULL;  -- nothing to look for: no row matches NULL
      END IF;
      FOREACH part IN ARRAY coalesce(excluded, '{{}}') LOOP
        piece := anbot_part_query(cfg, part);
        IF piece IS NOT NULL THEN
          result := result && !!piece;
        END IF;
      END LOOP;
      RETURN result;
    END
    $f$
    """,
    """
    CREATE FUNCTION anbot_both(a tsquery, b tsquery) RETURNS tsquery
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $f$ SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE a && b END $f$
    """,
)
_DROP_FUNCTIONS = (
    "anbot_search_query(regconfig, text[], text[], text, text, boolean, text)",
    "anbot_both(tsquery, tsquery)",
    "anbot_and(text[], boolean)",
    "anbot_part_query(regconfig, text)",
    "anbot_search_keys(regconfig, integer, text, text, text, text, text, jsonb)",
    "anbot_json_strings(jsonb)",
    "anbot_tags(text, text)",
    "anbot_pairs(text[])",
    "anbot_stems(regconfig, text)",
    "anbot_norm(text)",
)
_KEYS = (
    "anbot_search_keys('anbot_words'::regconfig, id, title, authors, summarizer, section,"
    " summary, opinions::jsonb)"
)
# 0005's column and 0003's filter indexes, for the downgrade.
_VECTOR = " || U&'\\E001:1'::tsvector || ".join(
    (
        "setweight(to_tsvector('english', title), 'A')",
        "setweight(to_tsvector('english', coalesce(authors, '') || ' ' || coalesce(summarizer,"
        " '')), 'B')",
        "setweight(to_tsvector('english', summary), 'C')",
        "setweight(jsonb_to_tsvector('english', opinions::jsonb, '[\"string\"]'), 'C')",
        "setweight(to_tsvector('english', section), 'D')",
    )
)
_FILTER_INDEXES = {
    "ix_summary_authors_tsv": "USING gin (to_tsvector('simple'::regconfig, authors))",
    "ix_summary_section_tsv": "USING gin (to_tsvector('simple'::regconfig, section))",
    "ix_summary_summarizer_lower": "(lower(summarizer))",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE TEXT SEARCH DICTIONARY anbot_stem (TEMPLATE = snowball, LANGUAGE = english)")
    op.execute("CREATE TEXT SEARCH CONFIGURATION anbot_words (COPY = english)")
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION anbot_words ALTER MAPPING REPLACE english_stem"
        " WITH anbot_stem"
    )
    # A compound's whole token would sit between its parts and break their pairs.
    op.execute(
        "ALTER TEXT SEARCH CONFIGURATION anbot_words DROP MAPPING FOR asciihword, hword, numhword"
    )
    for function in _FUNCTIONS:
        op.execute(function)
    op.execute("DROP INDEX IF EXISTS ix_summary_search_vector")
    op.execute("ALTER TABLE summary DROP COLUMN IF EXISTS search_vector")
    for name in _FILTER_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute(
        f"ALTER TABLE summary ADD COLUMN search_keys tsvector GENERATED ALWAYS AS ({_KEYS}) STORED"
    )
    # fastupdate off: a pending list (up to 4 MB until a vacuum) would be read by every search.
    op.execute(
        "CREATE INDEX ix_summary_search_keys ON summary USING gin (search_keys)"
        " WITH (fastupdate = off)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_summary_search_keys")
    op.execute("ALTER TABLE summary DROP COLUMN IF EXISTS search_keys")
    for function in _DROP_FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {function}")
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS anbot_words")
    op.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS anbot_stem")
    op.execute(
        f"ALTER TABLE summary ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({_VECTOR}) STORED"
    )
    op.execute("CREATE INDEX ix_summary_search_vector ON summary USING gin (search_vector)")
    for name, definition in _FILTER_INDEXES.items():
        op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON summary {definition}")

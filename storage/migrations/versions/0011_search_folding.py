"""Search: one folding rule on both backends, caseless (casefold) and accentless both ways.

SQLite's FTS5 (unicode61, remove_diacritics 2) already dropped accents from words, but the
author:, by: and section: filters compared SQL lower() values, and SQLite's lower() folds ASCII
only: `author:LÉON` found nothing. PostgreSQL kept accents in its keys: `Scholkopf`, `Gagne`,
`naive` found nothing there. Now (storage.search.text.fold):
- PostgreSQL: the unaccent dictionary runs before the stemmer in anbot_words and before the
  plain lower-casing of the filter words (a new configuration anbot_names); anbot_fold(text),
  lower(unaccent(text)), is what the filters compare. The generated search_keys columns (of
  summary, and of comment from 0010) are added again so every row's keys are computed with the
  new configurations.
- SQLite: the Python function the triggers call now casefolds ("ß" is "ss"); the keys of
  existing rows are computed again. anbot_fold is a Python function registered per connection
  (storage.search.index).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TAGS = """
    CREATE OR REPLACE FUNCTION anbot_tags(tag text, doc text) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
      SELECT coalesce(array_agg(tag || lexeme ORDER BY pos), '{{}}')
      FROM (SELECT lexeme, unnest(positions) AS pos
            FROM unnest(to_tsvector('{config}'::regconfig, anbot_norm(doc)))) AS words
    $f$
"""
_KEYS = (
    "anbot_search_keys('anbot_words'::regconfig, id, title, authors, summarizer, section,"
    " summary, opinions::jsonb)"
)
_COMMENT_KEYS = "anbot_comment_keys('anbot_words'::regconfig, id, author_name, content)"  # 0010
# The token types that may hold accents (anbot_words dropped hword and numhword, 0006).
_STEMMED = "word, hword_part"
_NAMES = "word, hword_part, hword, numword, numhword"


def _rebuild_keys() -> None:
    """search_keys is generated: dropped and added, every row's keys computed anew."""
    op.execute("DROP INDEX IF EXISTS ix_summary_search_keys")
    op.execute("ALTER TABLE summary DROP COLUMN IF EXISTS search_keys")
    op.execute(
        f"ALTER TABLE summary ADD COLUMN search_keys tsvector GENERATED ALWAYS AS ({_KEYS}) STORED"
    )
    op.execute(
        "CREATE INDEX ix_summary_search_keys ON summary USING gin (search_keys)"
        " WITH (fastupdate = off)"
    )
    op.execute("DROP INDEX IF EXISTS ix_comment_search_keys")
    op.execute("ALTER TABLE comment DROP COLUMN IF EXISTS search_keys")
    op.execute(
        f"ALTER TABLE comment ADD COLUMN search_keys tsvector GENERATED ALWAYS AS ({_COMMENT_KEYS})"
        " STORED"
    )
    op.execute(
        "CREATE INDEX ix_comment_search_keys ON comment USING gin (search_keys)"
        " WITH (fastupdate = off)"
    )


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute(
            "UPDATE summary_fts SET keys = anbot_search_keys("
            "title, authors, summarizer, section, summary, opinions)"
        )
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public")
    # Wherever the extension was installed before: its schema, named in what uses it.
    schema = bind.exec_driver_sql(
        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'unaccent'"
    ).scalar_one()
    unaccent = f"{schema}.unaccent"
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION anbot_words ALTER MAPPING FOR {_STEMMED}"
        f" WITH {unaccent}, anbot_stem"
    )
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION anbot_words ALTER MAPPING FOR numword"
        f" WITH {unaccent}, simple"
    )
    op.execute("CREATE TEXT SEARCH CONFIGURATION anbot_names (COPY = simple)")
    op.execute(
        f"ALTER TEXT SEARCH CONFIGURATION anbot_names ALTER MAPPING FOR {_NAMES}"
        f" WITH {unaccent}, simple"
    )
    op.execute(_TAGS.format(config="anbot_names"))
    op.execute(
        "CREATE FUNCTION anbot_fold(doc text) RETURNS text"
        " LANGUAGE sql IMMUTABLE PARALLEL SAFE AS"
        f" $f$ SELECT lower({unaccent}('{unaccent}'::regdictionary, doc)) $f$"
    )
    _rebuild_keys()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # the keys stay casefolded: the same as lower() but for a few letters (ß)
    op.execute("DROP FUNCTION IF EXISTS anbot_fold(text)")
    op.execute(_TAGS.format(config="simple"))
    op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS anbot_names")
    words = "ALTER TEXT SEARCH CONFIGURATION anbot_words ALTER MAPPING FOR"
    op.execute(f"{words} {_STEMMED} WITH anbot_stem")
    op.execute(f"{words} numword WITH simple")
    _rebuild_keys()

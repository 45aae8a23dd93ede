"""SQLite comment index, newest first and with word pairs: comment_fts keyed by -comment.id.

Measured at 200k comments (storage.search.discussions): FTS5 walks a doclist backwards
(ORDER BY rowid DESC) fast, but an AND walked backwards does not skip through the common
term's doclist the way a forward walk does: "w1670 w0" (one hit, a rare word and a word in most
comments) took 6 ms descending and 0.02 ms ascending. So comment_fts now holds each comment at
rowid = -id: its ascending order is the newest first, and the cursor (`id < before`) is a rowid
range FTS5 starts from.

It also gets the `keys` column summary_fts has (migration 0004, storage.search.keys): every pair
of adjacent stems of the text as one token (anbot_pair_keys, registered per connection by
storage.search.index), so a phrase is a short doclist of pairs, not a position check of every
row holding its words.

PostgreSQL: comment.search_keys (0010) tagged each word of the author's name for `by:`. Measured at
1M comments: a name word that many members share ("Member 142", or any common first name) is a
GIN entry in most rows, and reading it cost 20-33 ms a search whatever the other words (1 ms
without it). The name is now one lexeme, NAME + anbot_fold(name) (anbot_name_key, which the
query side calls too), as rare as the member's comments; `by:` is exact anyway (the SQL filter
compares the folded name). The generated column is computed again.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXED = "{row}.content IS NOT NULL AND {row}.deleted = 0"
_AUTHOR = "anbot_fold(replace(coalesce({row}.author_name, ''), ' ', ''))"  # as 0010
_TRIGGERS = ("comment_fts_ai", "comment_fts_ad", "comment_fts_au")
_TOKENIZER = "tokenize = 'porter unicode61 remove_diacritics 2'"


def _create(*, newest_first: bool) -> None:
    """comment_fts as this migration keys it (`newest_first`) or as 0010 did, filled."""
    rowid, columns, values = "{row}.id", "content, author", f"{{row}}.content, {_AUTHOR}"
    if newest_first:
        rowid = "-{row}.id"
        columns += ", keys"
        values += ", anbot_pair_keys({row}.content)"
    op.execute(f"CREATE VIRTUAL TABLE comment_fts USING fts5({columns}, {_TOKENIZER})")

    def insert(row: str) -> str:
        return (
            f"INSERT INTO comment_fts(rowid, {columns}) SELECT {rowid.format(row=row)}, "
            f"{values.format(row=row)} WHERE {_INDEXED.format(row=row)};"
        )

    delete = f"DELETE FROM comment_fts WHERE rowid = {rowid.format(row='old')};"
    op.execute(f"CREATE TRIGGER comment_fts_ai AFTER INSERT ON comment BEGIN {insert('new')} END")
    op.execute(f"CREATE TRIGGER comment_fts_ad AFTER DELETE ON comment BEGIN {delete} END")
    # Only when the text, the tombstone flag or the name changes: the mirror's upserts rewrite
    # every column.
    op.execute(
        "CREATE TRIGGER comment_fts_au AFTER UPDATE OF content, deleted, author_name ON comment "
        "WHEN old.content IS NOT new.content OR old.deleted IS NOT new.deleted "
        f"OR old.author_name IS NOT new.author_name BEGIN {delete} {insert('new')} END"
    )
    fill = insert("comment").replace(" WHERE ", " FROM comment WHERE ").rstrip(";")
    op.execute(fill)


def _drop() -> None:
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS comment_fts")


# Snapshot copies of storage.search.keys' markers and COMMENT_LEVELS (tests pin that they agree).
NAME = "U&'\\E006'"
TAG = "U&'\\E004'"  # 0010's by: tag (summary search's summarizer tag)
BLOCK = "U&'\\E005'"
COMMENT_LEVELS = range(48, 55)
NAME_FUNCTION = f"""
    CREATE OR REPLACE FUNCTION anbot_name_key(name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
    $f$ SELECT {NAME} || anbot_fold(coalesce(name, '')) $f$
"""


def _keys_function(name_keys: str) -> str:
    """anbot_comment_keys (0010's shape), the author's name keyed by `name_keys`."""
    return f"""
    CREATE OR REPLACE FUNCTION anbot_comment_keys(cfg regconfig, id bigint, author text, doc text)
    RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
    DECLARE
      c text[] := anbot_stems(cfg, doc);
      keys text[] := c || anbot_pairs(c) || {name_keys};
    BEGIN
      FOR level IN {COMMENT_LEVELS.start}..{COMMENT_LEVELS.stop - 1} LOOP
        keys := keys || ({BLOCK} || level || ':' || (id >> level));
      END LOOP;
      RETURN array_to_tsvector(keys);
    END
    $f$
"""


_KEYS = "anbot_comment_keys('anbot_words'::regconfig, id, author_name, content)"


def _add_keys() -> None:
    """comment.search_keys again (generated: dropped and added, every row's keys computed)."""
    op.execute("DROP INDEX IF EXISTS ix_comment_search_keys")
    op.execute("ALTER TABLE comment DROP COLUMN IF EXISTS search_keys")
    op.execute(
        f"ALTER TABLE comment ADD COLUMN search_keys tsvector GENERATED ALWAYS AS ({_KEYS}) STORED"
    )
    op.execute(
        "CREATE INDEX ix_comment_search_keys ON comment USING gin (search_keys)"
        " WITH (fastupdate = off)"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _drop()
        _create(newest_first=True)
        return
    op.execute(NAME_FUNCTION)
    op.execute(_keys_function("ARRAY[anbot_name_key(author)]"))
    _add_keys()


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _drop()
        _create(newest_first=False)
        return
    op.execute(_keys_function(f"anbot_tags({TAG}, author)"))
    _add_keys()
    op.execute("DROP FUNCTION IF EXISTS anbot_name_key(text)")

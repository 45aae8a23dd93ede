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

PostgreSQL: nothing (comment.search_keys already holds pairs; its walk is by id blocks).

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


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _drop()
        _create(newest_first=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _drop()
        _create(newest_first=False)

"""Search: a `keys` column in SQLite's summary_fts, so phrases and filters read short lists.

A phrase of common words ("generalize but") cost FTS5 2-4 ms at 100k summaries, a section or
author filter with a common word 2-10 ms: FTS5 reads the positions of the words in every row
holding them. The new column holds, for each row, every pair of adjacent words as one token and
the words of its section, authors and summarizer tagged with their column (storage.search.keys);
storage.search.sqlite asks it for a phrase's pairs and a filter's tagged words instead.

FTS5 cannot add a column, so the table is built again from `summary` (the text is FTS5's own
copy; nothing else is lost), and the triggers with it. They compute the keys with the SQL
function anbot_search_keys, which storage.db registers on every SQLite connection it opens: a
program that writes summaries through a bare sqlite3 connection would get "no such function".

PostgreSQL: nothing (its phrase search works from the tsvector's positions).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from storage.search.keys import SQL_FUNCTION

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TRIGGERS = ("summary_fts_ai", "summary_fts_ad", "summary_fts_au")
_TOKENIZE = "tokenize = 'porter unicode61 remove_diacritics 2'"
_COLUMNS = "title, authors, summarizer, section, summary, opinions"
# The opinions column is a JSON list of {"by", "text"}: only the texts are indexed as words.
_OPINION_TEXT = (
    "(SELECT coalesce(group_concat(json_extract(value, '$.text'), ' '), '') "
    "FROM json_each({row}.opinions))"
)


def _values(row: str, *, keys: bool) -> str:
    texts = (
        f"{row}.title, coalesce({row}.authors, ''), coalesce({row}.summarizer, ''), "
        f"{row}.section, {row}.summary, {_OPINION_TEXT.format(row=row)}"
    )
    return f"{row}.id, {texts}, {SQL_FUNCTION}({texts})" if keys else f"{row}.id, {texts}"


def _rebuild(*, keys: bool) -> None:
    columns = f"{_COLUMNS}, keys" if keys else _COLUMNS
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE IF EXISTS summary_fts")
    op.execute(f"CREATE VIRTUAL TABLE summary_fts USING fts5({columns}, {_TOKENIZE})")
    insert = f"INSERT INTO summary_fts(rowid, {columns})"
    op.execute(f"{insert} SELECT {_values('summary', keys=keys)} FROM summary")
    new = f"{insert} VALUES ({_values('new', keys=keys)});"
    op.execute(f"CREATE TRIGGER summary_fts_ai AFTER INSERT ON summary BEGIN {new} END")
    op.execute(
        "CREATE TRIGGER summary_fts_ad AFTER DELETE ON summary BEGIN "
        "DELETE FROM summary_fts WHERE rowid = old.id; END"
    )
    op.execute(
        "CREATE TRIGGER summary_fts_au AFTER UPDATE ON summary BEGIN "
        f"DELETE FROM summary_fts WHERE rowid = old.id; {new} END"
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(keys=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(keys=False)

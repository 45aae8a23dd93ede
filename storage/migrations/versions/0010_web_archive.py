"""Web archive: which channels are public and opted in, hidden members, and a comment index.

Tables (storage.models): `web_channel` (readable by @everyone? published by a moderator?),
`web_thread_state` (threads deleted in Discord or private), `web_member` (comments hidden from
the web by their author).

Discussion search (storage.search.discussions) gets a full-text index of its own:
- SQLite: an FTS5 table `comment_fts` (rowid = comment.id, the comment's text and its
  author's display name, the same tokenizer as summary_fts) kept in step by triggers on
  `comment`; tombstones are not indexed.
  The author column holds the display name folded (anbot_fold, storage.search.text.fold).
- PostgreSQL: a generated `comment.search_keys` tsvector (GIN, fastupdate off), keyed as
  summary.search_keys (0006): the stems of the text (configuration anbot_words), every pair of
  adjacent stems (a phrase is the AND of its pairs, no position recheck), the author's name
  words tagged as the by: filter's, and the blocks of ids the comment's id falls in, so
  storage.search.postgres walks back newest first window by window as for summaries. Comment
  ids are snowflakes: blocks of 2**48 to 2**54 ids (storage.search.keys.COMMENT_LEVELS).
Both get an index on lower(author_name), and publication gets one on thread_id (the public
rule's "this thread has a summary page", checked per comment).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEXED = "new.content IS NOT NULL AND new.deleted = 0"
# The author column holds the display name without spaces ("Rohin Shah" → "RohinShah"): the
# by: filter becomes an index term, so "a common word by one member" intersects two doclists
# instead of checking the author of every comment holding the word (60-75 ms at 1M comments).
_AUTHOR = "anbot_fold(replace(coalesce({}.author_name, ''), ' ', ''))"
_FTS_INSERT = (
    "INSERT INTO comment_fts(rowid, content, author) SELECT new.id, new.content, "
    f"{_AUTHOR.format('new')} WHERE {_INDEXED};"
)
_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER comment_fts_ai AFTER INSERT ON comment BEGIN {_FTS_INSERT} END",
    "CREATE TRIGGER comment_fts_ad AFTER DELETE ON comment BEGIN "
    "DELETE FROM comment_fts WHERE rowid = old.id; END",
    # Only when the text or the tombstone flag changes: the mirror's upserts rewrite every column.
    "CREATE TRIGGER comment_fts_au AFTER UPDATE OF content, deleted, author_name ON comment "
    "WHEN old.content IS NOT new.content OR old.deleted IS NOT new.deleted "
    "OR old.author_name IS NOT new.author_name BEGIN "
    f"DELETE FROM comment_fts WHERE rowid = old.id; {_FTS_INSERT} END",
)


# Snapshot copies of storage.search.keys' markers and COMMENT_LEVELS (tests pin that they agree).
TAG = "U&'\\E004'"  # the by: tag (summary search's summarizer tag)
BLOCK = "U&'\\E005'"
COMMENT_LEVELS = range(48, 55)
# PL/pgSQL rather than SQL: the stems are computed once, and the block loop is plain code
# (the SQL version, as 0006's summary keys, cost 2.3 ms a row; this one 0.45 ms).
KEYS_FUNCTION = f"""
    CREATE OR REPLACE FUNCTION anbot_comment_keys(cfg regconfig, id bigint, author text, doc text)
    RETURNS tsvector
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $f$
    DECLARE
      c text[] := anbot_stems(cfg, doc);
      keys text[] := c || anbot_pairs(c) || anbot_tags({TAG}, author);
    BEGIN
      FOR level IN {COMMENT_LEVELS.start}..{COMMENT_LEVELS.stop - 1} LOOP
        keys := keys || ({BLOCK} || level || ':' || (id >> level));
      END LOOP;
      RETURN array_to_tsvector(keys);
    END
    $f$
"""
KEYS = "anbot_comment_keys('anbot_words'::regconfig, id, author_name, content)"


def add_keys() -> None:
    """comment.search_keys and its GIN index (every row's keys computed: 0011 calls it again
    after changing the configurations)."""
    op.execute("DROP INDEX IF EXISTS ix_comment_search_keys")
    op.execute("ALTER TABLE comment DROP COLUMN IF EXISTS search_keys")
    op.execute(
        f"ALTER TABLE comment ADD COLUMN search_keys tsvector GENERATED ALWAYS AS ({KEYS}) STORED"
    )
    op.execute(
        "CREATE INDEX ix_comment_search_keys ON comment USING gin (search_keys)"
        " WITH (fastupdate = off)"
    )


def _ts() -> sa.Column[object]:
    return sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "web_channel",
        sa.Column("channel_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("everyone_can_read", sa.Boolean(), nullable=False),
        sa.Column("published", sa.Boolean(), nullable=False),
        _ts(),
        sa.PrimaryKeyConstraint("channel_id"),
    )
    op.create_table(
        "web_thread_state",
        sa.Column("thread_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        _ts(),
        sa.PrimaryKeyConstraint("thread_id"),
    )
    op.create_table(
        "web_member",
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        _ts(),
        sa.PrimaryKeyConstraint("user_id"),
    )
    op.execute("CREATE INDEX ix_comment_author_lower ON comment (lower(author_name))")
    # The public rule asks "has this thread a summary page?" per comment: without it, a scan
    # of publication for every comment a search visits.
    op.create_index("ix_publication_thread_id", "publication", ["thread_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE comment_fts USING fts5("
            "content, author, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
        op.execute(
            "INSERT INTO comment_fts(rowid, content, author) SELECT id, content, "
            f"{_AUTHOR.format('comment')} FROM comment WHERE content IS NOT NULL AND deleted = 0"
        )
    elif dialect == "postgresql":
        op.execute(KEYS_FUNCTION)
        add_keys()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("comment_fts_ai", "comment_fts_ad", "comment_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS comment_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_comment_search_keys")
        op.execute("ALTER TABLE comment DROP COLUMN IF EXISTS search_keys")
        op.execute("DROP FUNCTION IF EXISTS anbot_comment_keys(regconfig, bigint, text, text)")
    op.execute("DROP INDEX IF EXISTS ix_comment_author_lower")
    op.drop_index("ix_publication_thread_id", table_name="publication")
    op.drop_table("web_member")
    op.drop_table("web_thread_state")
    op.drop_table("web_channel")

"""Initial schema: every table of storage/models.py, plus the summary search structures.

SQLite: an FTS5 table `summary_fts` (its own copy of the text, rowid = summary.id, porter
stemming) kept in sync by triggers on `summary`. PostgreSQL: a generated, weighted tsvector
column `summary.search_vector` (title A, authors/summarizer B, summary/opinions C, section D)
with a GIN index. Both stem English the same way, so "HARKing" finds "HARK" on either.

Note for later migrations: a batch ALTER of `summary` on SQLite copies the table and drops its
triggers; re-create them (see _SQLITE_TRIGGERS) after such a change.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# The opinions column is a JSON list of {"by", "text"}: only the texts are indexed as words.
_OPINION_TEXT = (
    "(SELECT coalesce(group_concat(json_extract(value, '$.text'), ' '), '') "
    "FROM json_each(new.opinions))"
)
_FTS_INSERT = (
    "INSERT INTO summary_fts(rowid, title, authors, summarizer, section, summary, opinions) "
    "VALUES (new.id, new.title, coalesce(new.authors, ''), coalesce(new.summarizer, ''), "
    f"new.section, new.summary, {_OPINION_TEXT});"
)
_SQLITE_TRIGGERS = (
    f"CREATE TRIGGER summary_fts_ai AFTER INSERT ON summary BEGIN {_FTS_INSERT} END",
    "CREATE TRIGGER summary_fts_ad AFTER DELETE ON summary BEGIN "
    "DELETE FROM summary_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER summary_fts_au AFTER UPDATE ON summary BEGIN "
    f"DELETE FROM summary_fts WHERE rowid = old.id; {_FTS_INSERT} END",
)
_PG_VECTOR = (
    "setweight(to_tsvector('english', title), 'A') || "
    "setweight(to_tsvector('english', coalesce(authors, '') || ' ' || coalesce(summarizer, '')),"
    " 'B') || "
    "setweight(to_tsvector('english', summary), 'C') || "
    "setweight(jsonb_to_tsvector('english', opinions::jsonb, '[\"string\"]'), 'C') || "
    "setweight(to_tsvector('english', section), 'D')"
)


def _create_search() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE summary_fts USING fts5("
            "title, authors, summarizer, section, summary, opinions, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        for trigger in _SQLITE_TRIGGERS:
            op.execute(trigger)
    elif dialect == "postgresql":
        op.execute(
            f"ALTER TABLE summary ADD COLUMN search_vector tsvector "
            f"GENERATED ALWAYS AS ({_PG_VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_summary_search_vector ON summary USING gin (search_vector)")


def _drop_search() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for name in ("summary_fts_ai", "summary_fts_ad", "summary_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS summary_fts")
    elif dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_summary_search_vector")
        op.execute("ALTER TABLE summary DROP COLUMN IF EXISTS search_vector")


def upgrade() -> None:
    op.create_table(
        "feed",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=True),
        sa.Column("etag", sa.String(), nullable=True),
        sa.Column("last_modified", sa.String(), nullable=True),
        sa.Column("content_hash", sa.String(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(), nullable=True),
        sa.Column("last_error", sa.String(), nullable=True),
        sa.Column("last_polled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_poll_done", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_feed_url", "feed", ["url"], unique=True)

    op.create_table(
        "thread_visit",
        sa.Column("thread_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("visited_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("thread_id", "user_id"),
    )
    op.create_table(
        "issue",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("feed_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.String(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(), nullable=True),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("link", sa.String(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("content_hash", sa.String(), nullable=True),
        sa.Column("layout", sa.String(), nullable=False),
        sa.Column("publish", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["feed_id"],
            ["feed.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("feed_id", "entry_id", name="uq_issue_feed_entry"),
    )
    op.create_index("ix_issue_feed_id", "issue", ["feed_id"], unique=False)
    op.create_index("ix_issue_label", "issue", ["label"], unique=False)
    op.create_index("ix_issue_number", "issue", ["number"], unique=False)

    op.create_table(
        "summary",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(), nullable=False),
        sa.Column("section", sa.String(), nullable=False),
        sa.Column("title", sa.String(), nullable=False),
        sa.Column("link", sa.String(), nullable=True),
        sa.Column("authors", sa.String(), nullable=True),
        sa.Column("venue", sa.String(), nullable=True),
        sa.Column("year", sa.String(), nullable=True),
        sa.Column("summarizer", sa.String(), nullable=True),
        sa.Column("summary", sa.String(), nullable=False),
        sa.Column("opinions", sa.JSON(), nullable=False),
        sa.Column("prerequisites", sa.String(), nullable=True),
        sa.Column("read_more", sa.String(), nullable=True),
        sa.Column("cross_refs", sa.JSON(), nullable=False),
        sa.Column("highlight", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("content_hash", sa.String(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("issue_id", "dedupe_key", name="uq_summary_issue_key"),
    )
    op.create_index("ix_summary_dedupe_key", "summary", ["dedupe_key"], unique=False)
    op.create_index("ix_summary_issue_id", "summary", ["issue_id"], unique=False)

    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("summary_id", sa.Integer(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("status", sa.String(), nullable=False),
        sa.Column("marker", sa.String(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("starter_message_id", sa.BigInteger(), nullable=True),
        sa.Column("posted_hash", sa.String(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.String(), nullable=True),
        sa.Column("error_reported", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issue.id"],
        ),
        sa.ForeignKeyConstraint(
            ["summary_id"],
            ["summary.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_id", "issue_id", "summary_id", name="uq_pub_target"),
        sa.UniqueConstraint("marker"),
    )
    op.create_index("ix_publication_channel_id", "publication", ["channel_id"], unique=False)
    op.create_index("ix_publication_issue_id", "publication", ["issue_id"], unique=False)
    op.create_index("ix_publication_status", "publication", ["status"], unique=False)
    op.create_index("ix_publication_summary_id", "publication", ["summary_id"], unique=False)

    op.create_table(
        "discord_thread",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=True),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("name", sa.String(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=True),
        sa.Column("tracked", sa.Boolean(), nullable=False),
        sa.Column("last_message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["publication_id"],
            ["publication.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "comment",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("parent_id", sa.BigInteger(), nullable=True),
        sa.Column("reference_id", sa.BigInteger(), nullable=True),
        sa.Column("author_id", sa.BigInteger(), nullable=True),
        sa.Column("author_name", sa.String(), nullable=True),
        sa.Column("content", sa.String(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("is_starter", sa.Boolean(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("edited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["thread_id"],
            ["discord_thread.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_comment_thread_id", "comment", ["thread_id"], unique=False)

    op.create_table(
        "comment_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.BigInteger(), nullable=False),
        sa.Column("content", sa.String(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("comment_id", "replaced_at", name="uq_revision"),
    )
    op.create_index(
        "ix_comment_revision_comment_id", "comment_revision", ["comment_id"], unique=False
    )

    op.create_table(
        "vote",
        sa.Column("comment_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("emoji", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["comment.id"],
        ),
        sa.PrimaryKeyConstraint("comment_id", "user_id", "emoji"),
    )
    _create_search()


def downgrade() -> None:
    _drop_search()
    op.drop_table("vote")
    op.drop_index("ix_comment_revision_comment_id", table_name="comment_revision")

    op.drop_table("comment_revision")
    op.drop_index("ix_comment_thread_id", table_name="comment")

    op.drop_table("comment")
    op.drop_table("discord_thread")
    op.drop_index("ix_publication_summary_id", table_name="publication")
    op.drop_index("ix_publication_status", table_name="publication")
    op.drop_index("ix_publication_issue_id", table_name="publication")
    op.drop_index("ix_publication_channel_id", table_name="publication")

    op.drop_table("publication")
    op.drop_index("ix_summary_issue_id", table_name="summary")
    op.drop_index("ix_summary_dedupe_key", table_name="summary")

    op.drop_table("summary")
    op.drop_index("ix_issue_number", table_name="issue")
    op.drop_index("ix_issue_label", table_name="issue")
    op.drop_index("ix_issue_feed_id", table_name="issue")

    op.drop_table("issue")
    op.drop_table("thread_visit")
    op.drop_index("ix_feed_url", table_name="feed")

    op.drop_table("feed")

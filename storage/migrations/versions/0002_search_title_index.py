"""Search: a title-only full-text index on PostgreSQL.

Broad queries list title matches first. On PostgreSQL, asking the weighted search_vector for
title (weight A) matches makes the server re-read every matching row's vector to check
weights; a GIN index on the title's own tsvector answers that from the index. The search code
uses the very same expression: to_tsvector('english'::regconfig, title).

SQLite needs nothing here: FTS5 column filters ({title} : …) use summary_fts as it is. Nothing
touches the `summary` table itself, so the FTS5 triggers of 0001 stay in place.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_summary_title_tsv ON summary "
            "USING gin (to_tsvector('english'::regconfig, title))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_summary_title_tsv")

"""Issue notes and H/T: nothing of a parsed issue is left unstored.

`issue.intro` holds every paragraph of an issue that is in no summary: its intro, its outro
(feedback, podcast) and the paragraphs the parser could not place in any summary (reported
by `anbot ingest`). `summary.hat_tip` holds the "(H/T Name)" of an entry's byline.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("issue", sa.Column("intro", sa.Text(), nullable=False, server_default=""))
    op.add_column("summary", sa.Column("hat_tip", sa.String(), nullable=True))


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+), not a batch copy of the tables: copying would lose
    # what SQLite cannot reflect, the summary_fts triggers and 0007's expression index on issue.
    op.drop_column("summary", "hat_tip")
    op.drop_column("issue", "intro")

"""PostgreSQL: a btree of each comment's whole-name key and id, for `by:` discussion search.

Discussion search walks comment.search_keys by windows of ids, newest first (storage.search
.discussions._walk). A `by:` query with a common word found too few hits in the newest windows
(a member writes one comment in 300 at 1M comments) and the walk's last part read every older
match, ~1,900 heap rows, 10-13 ms (`w3 by:"Member 76"`: 24 ms). With this index the walk first
reads that member's newest comments in id order (anbot_name_key, 0013: the same key the
tsquery's name lexeme is) and checks the tsquery on those rows only.

SQLite needs nothing: FTS5 walks the author column's term newest first already (0013).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "ix_comment_name_key"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON comment (anbot_name_key(author_name), id DESC)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {INDEX}")

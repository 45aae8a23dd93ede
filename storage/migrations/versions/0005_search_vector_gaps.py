"""Search: PostgreSQL's search_vector keeps a gap between its parts, so phrases stay in one part.

`a || b` on tsvectors shifts b's positions by the last position of a, so the last word of a title
and the first word of its summary were neighbours: "generalize poorly" matched a title ending in
"generalize" over a summary starting with "Poorly" (tests/storage/test_search_keys.py). A lexeme
of one private-use character now stands between the parts (storage.query refuses that character
in a query, so no search can ask for it). The column is generated, so it is dropped and added
again with its GIN index; every row's vector is computed anew.

SQLite: nothing (FTS5 columns are separate, and migration 0004's keys put a break between them).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PARTS = (
    "setweight(to_tsvector('english', title), 'A')",
    "setweight(to_tsvector('english', coalesce(authors, '') || ' ' || coalesce(summarizer, '')),"
    " 'B')",
    "setweight(to_tsvector('english', summary), 'C')",
    "setweight(jsonb_to_tsvector('english', opinions::jsonb, '[\"string\"]'), 'C')",
    "setweight(to_tsvector('english', section), 'D')",
)
_GAP = "U&'\\E001:1'::tsvector"


def _replace(expression: str) -> None:
    op.execute("DROP INDEX IF EXISTS ix_summary_search_vector")
    op.execute("ALTER TABLE summary DROP COLUMN IF EXISTS search_vector")
    op.execute(
        f"ALTER TABLE summary ADD COLUMN search_vector tsvector "
        f"GENERATED ALWAYS AS ({expression}) STORED"
    )
    op.execute("CREATE INDEX ix_summary_search_vector ON summary USING gin (search_vector)")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace(f" || {_GAP} || ".join(_PARTS))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _replace(" || ".join(_PARTS))

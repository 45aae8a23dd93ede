"""Search: word indexes for the author, summarizer and section filters on PostgreSQL.

`author:Steinhardt human` used to check the authors text of every row that holds "human"
(measured at 100k summaries: 50-250 ms for a common word). The filters now also ask the full-text
index for rows whose column has words starting with the filter's words, so the index intersects
two short lists and the substring/equality check only sees those rows.

PostgreSQL: a GIN index on the 'simple' tsvector (no stemming, no stopwords: names and section
titles matched as written) of authors and of section; the search code uses the very same
expressions (storage.search_postgres.FILTER_VECTORS). The summarizer filter is an equality on
lower(summarizer): a btree on that expression finds rare summarizers and, as important, gives
the planner statistics. Without them it took `by:Rohin` (60% of the rows) for a rare filter,
bitmap-scanned every match of the word and sorted them (96 ms) instead of walking the primary
key backwards and stopping at the newest matches (5 ms).

The title index of 0002 goes: search no longer asks for title matches in the database (it orders
its candidates in Python, storage.relevance), and an unused GIN index only slows every write.

SQLite needs nothing here: summary_fts already holds authors, summarizer and section as columns,
and FTS5 column filters ({authors} : "steinhardt"*) use it as it is.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Index name -> definition: keep in step with storage.migrations.filters.FILTER_SEARCH_INDEXES.
INDEXES = {
    "ix_summary_authors_tsv": "USING gin (to_tsvector('simple'::regconfig, authors))",
    "ix_summary_section_tsv": "USING gin (to_tsvector('simple'::regconfig, section))",
    "ix_summary_summarizer_lower": "(lower(summarizer))",
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_summary_title_tsv")
        for name, definition in INDEXES.items():
            op.execute(f"CREATE INDEX IF NOT EXISTS {name} ON summary {definition}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute(
            "CREATE INDEX IF NOT EXISTS ix_summary_title_tsv ON summary "
            "USING gin (to_tsvector('english'::regconfig, title))"
        )

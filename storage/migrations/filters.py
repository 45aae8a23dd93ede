"""Which database objects Alembic's model comparison ignores.

The search structures (SQLite FTS5 table `summary_fts` and its shadow tables, PostgreSQL's
generated `summary.search_keys` column (`search_vector` before 0006) and the GIN indexes of
0001-0006), and the unique expression index on imported issues' labels (0007), live only in the
migrations: the SQLModel tables do not describe them, so the comparison must not report them as
extra.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

SEARCH_TABLE = "summary_fts"
COMMENT_SEARCH_TABLE = "comment_fts"  # migration 0010
COMMENT_SEARCH_COLUMNS = ("search_vector", "search_keys")  # comment's keys, migration 0010
COMMENT_INDEXES = (  # migration 0010
    "ix_comment_search_vector",
    "ix_comment_search_keys",
    "ix_comment_author_lower",
    "ix_publication_thread_id",
    "ix_comment_name_key",  # migration 0015
)
SEARCH_COLUMNS = ("search_vector", "search_keys")  # before / from migration 0006
SEARCH_INDEXES = ("ix_summary_search_vector", "ix_summary_search_keys")
TITLE_SEARCH_INDEX = "ix_summary_title_tsv"  # migration 0002
FILTER_SEARCH_INDEXES = (  # migration 0003
    "ix_summary_authors_tsv",
    "ix_summary_section_tsv",
    "ix_summary_summarizer_lower",
)
# Migration 0007: one database-only issue per label, an expression index the models cannot say.
IMPORT_LABEL_INDEX = "uq_issue_database_label"


def include_name(
    name: str | None, type_: Any, parent_names: MutableMapping[Any, str | None]
) -> bool:
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith((SEARCH_TABLE, COMMENT_SEARCH_TABLE))
    if type_ == "column":
        table = parent_names.get("table_name")
        if table == "comment":
            return name not in COMMENT_SEARCH_COLUMNS
        return not (table == "summary" and name in SEARCH_COLUMNS)
    if type_ == "index":
        return name not in (
            *SEARCH_INDEXES,
            TITLE_SEARCH_INDEX,
            *FILTER_SEARCH_INDEXES,
            IMPORT_LABEL_INDEX,
            *COMMENT_INDEXES,
        )
    return True

"""Imported issues are unique by label; feeds remember a permanent-looking failure and the
entries their last poll skipped.

Two `anbot import-database` runs at once had created every database-only issue twice (and so
every summary): nothing in the schema forbade it. Existing duplicates are merged first: per
label, the oldest issue keeps its place, the others' summaries move to it (a summary it already
has is merged into its counterpart), and the publications of the merged rows, with the Discord
threads linked to them, are pointed at the rows that remain. Then a unique index on the label of
issues without a feed (`coalesce`: the one issue of summaries without a label counts too) makes
the database refuse a second one; the importer inserts with ON CONFLICT DO NOTHING.

feed.last_error_permanent: the last failure looked permanent (404, an HTML page): a longer
backoff instead of disabling the feed at once. feed.skipped_entries: the entries the last poll
could not store, with the reason (shown by the feed listing, retried by the next poll).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEX = "uq_issue_database_label"


def _merge_duplicates(conn: sa.Connection) -> None:
    groups = conn.execute(
        sa.text(
            "SELECT coalesce(label, '') AS k, min(id) AS keep FROM issue WHERE feed_id IS NULL "
            "GROUP BY coalesce(label, '') HAVING count(*) > 1"
        )
    ).all()
    for key, keep in groups:
        dupes = conn.execute(
            sa.text(
                "SELECT id FROM issue WHERE feed_id IS NULL AND coalesce(label, '') = :k "
                "AND id <> :keep ORDER BY id"
            ),
            {"k": key, "keep": keep},
        ).scalars()
        for dupe in list(dupes):
            _merge_issue(conn, keep, dupe)


def _merge_issue(conn: sa.Connection, keep: int, dupe: int) -> None:
    rows = conn.execute(
        sa.text("SELECT id, dedupe_key FROM summary WHERE issue_id = :d"), {"d": dupe}
    ).all()
    for summary_id, key in rows:
        twin = conn.execute(
            sa.text("SELECT id FROM summary WHERE issue_id = :k AND dedupe_key = :key"),
            {"k": keep, "key": key},
        ).scalar()
        if twin is None:
            conn.execute(
                sa.text("UPDATE summary SET issue_id = :k WHERE id = :s"),
                {"k": keep, "s": summary_id},
            )
            continue
        pubs = conn.execute(
            sa.text("SELECT id, channel_id FROM publication WHERE summary_id = :s"),
            {"s": summary_id},
        ).all()
        for pub_id, channel in pubs:
            _repoint_publication(conn, pub_id, channel, keep, twin)
        conn.execute(sa.text("DELETE FROM summary WHERE id = :s"), {"s": summary_id})
    pubs = conn.execute(
        sa.text("SELECT id, channel_id, summary_id FROM publication WHERE issue_id = :d"),
        {"d": dupe},
    ).all()
    for pub_id, channel, summary_id in pubs:
        _repoint_publication(conn, pub_id, channel, keep, summary_id)
    conn.execute(sa.text("DELETE FROM issue WHERE id = :d"), {"d": dupe})


def _repoint_publication(
    conn: sa.Connection, pub_id: int, channel: int, issue: int, summary: int | None
) -> None:
    """Point a publication at (issue, summary); if that target already has one in the channel,
    its threads move to that one and this one goes."""
    same = "summary_id IS NULL" if summary is None else "summary_id = :s"
    other = conn.execute(
        sa.text(
            f"SELECT id FROM publication WHERE channel_id = :c AND issue_id = :i AND {same} "
            "AND id <> :p"
        ),
        {"c": channel, "i": issue, "s": summary, "p": pub_id},
    ).scalar()
    if other is None:
        conn.execute(
            sa.text("UPDATE publication SET issue_id = :i, summary_id = :s WHERE id = :p"),
            {"i": issue, "s": summary, "p": pub_id},
        )
        return
    conn.execute(
        sa.text("UPDATE discord_thread SET publication_id = :o WHERE publication_id = :p"),
        {"o": other, "p": pub_id},
    )
    conn.execute(sa.text("DELETE FROM publication WHERE id = :p"), {"p": pub_id})


def upgrade() -> None:
    conn = op.get_bind()
    _merge_duplicates(conn)
    op.execute(f"CREATE UNIQUE INDEX {INDEX} ON issue (coalesce(label, '')) WHERE feed_id IS NULL")
    false = "false" if conn.dialect.name == "postgresql" else "0"
    op.add_column(
        "feed",
        sa.Column(
            "last_error_permanent", sa.Boolean(), nullable=False, server_default=sa.text(false)
        ),
    )
    op.add_column(
        "feed",
        sa.Column("skipped_entries", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    with op.batch_alter_table("feed") as batch:
        batch.drop_column("skipped_entries")
        batch.drop_column("last_error_permanent")
    op.execute(f"DROP INDEX {INDEX}")

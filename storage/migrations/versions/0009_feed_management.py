"""Feeds are managed at run time: routes (channel, mode, ping, filters) per feed, pause and
removal, per-feed backfill, the state the mod-log was last told, and a key/value settings table.

Feeds that already exist keep working: the first start after this migration seeds routes from
ANBOT_FEEDS / ANBOT_PUBLISH_CHANNELS (storage.feeds.seed_from_settings); a feed with no route
still publishes to ANBOT_PUBLISH_CHANNELS, as before.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
# Assigned down_revision "0006"; this branch's main already ends at 0011 (0006 → 0007 → 0011),
# and two heads would stop `upgrade head`, so it follows 0011 here.
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("feed") as batch:
        batch.add_column(sa.Column("guild_id", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("paused", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(
            sa.Column("removed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("backfill", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("last_new_item_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("notified_state", sa.String(), nullable=False, server_default="ok")
        )
    op.create_table(
        "feed_route",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("feed_id", sa.Integer(), sa.ForeignKey("feed.id"), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("mode", sa.String(), nullable=False),
        sa.Column("ping_role_id", sa.BigInteger(), nullable=True),
        sa.Column("include_sections", sa.JSON(), nullable=False),
        sa.Column("exclude_sections", sa.JSON(), nullable=False),
        sa.Column("include_words", sa.JSON(), nullable=False),
        sa.Column("exclude_words", sa.JSON(), nullable=False),
        sa.UniqueConstraint("feed_id", "channel_id", name="uq_feed_route"),
    )
    op.create_index("ix_feed_route_feed_id", "feed_route", ["feed_id"])
    op.create_table(
        "setting",
        sa.Column("key", sa.String(), primary_key=True),
        sa.Column("value", sa.String(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("setting")
    op.drop_index("ix_feed_route_feed_id", table_name="feed_route")
    op.drop_table("feed_route")
    with op.batch_alter_table("feed") as batch:
        for name in (
            "notified_state",
            "last_new_item_at",
            "backfill",
            "removed",
            "paused",
            "guild_id",
        ):
            batch.drop_column(name)

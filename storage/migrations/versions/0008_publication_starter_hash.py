"""Publications: the starter's hash and the post's start time, to heal crashes without a marker.

Starter messages used to end with a visible `-# anbot:pub:…` line so that a leader restarted
mid-post could find what it had posted. Readers saw that line. Now the outbox row records the
sha256 of the exact starter text and when the post attempt started (committed before the
Discord call); after a crash the publisher adopts the bot's own thread in that channel created
after that time whose starter has that hash. The marker column stays: it keys enqueueing, and
posts made before this revision, which carry the marker, are still recognised by it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.add_column(sa.Column("starter_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("post_started_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.drop_column("post_started_at")
        batch.drop_column("starter_hash")

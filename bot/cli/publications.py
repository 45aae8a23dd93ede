"""`anbot publications`: the outbox at a glance, and a way to retry failed posts."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli._common import database, run
from storage import MAX_BIGINT


def register(app: typer.Typer) -> None:
    app.command("publications")(publications)


def publications(
    retry_failed: Annotated[
        bool,
        typer.Option("--retry-failed", help="Put failed posts back in line (after a fix)."),
    ] = False,
    channel: Annotated[
        int | None, typer.Option(min=0, max=MAX_BIGINT, help="Only this Discord channel id.")
    ] = None,
) -> None:
    """Count the outbox rows by status and list the failed ones with their reason."""
    from storage import publications as pubs

    async def work() -> None:
        async with database() as db, db.session() as session:
            if retry_failed:
                n = await pubs.retry_failed(session, channel_id=channel)
                await session.commit()
                typer.echo(f"{n} failed publication(s) put back in line")
            counts = await pubs.status_counts(session)
            rows = await pubs.list_publications(session, channel_id=channel)
        summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
        typer.echo(summary or "no publications yet")
        for row in rows:
            if row.status == "failed":
                typer.echo(f"failed #{row.id} → channel {row.channel_id}: {row.error}")

    run(work)

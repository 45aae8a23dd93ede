"""`anbot export THREAD_ID`: a mirrored thread as Markdown, JSON, HTML or CSV, from the database.

Reads ANBOT_DATABASE_URL. Any failure (unknown thread, bad --since, unreachable database) is one
line on stderr and exit code 1; the output file is only created once rendering has started
successfully, so a failed export never leaves a half-written file behind.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import typer

from bot.config import Settings
from storage.comments import records_for_thread
from storage.db import Database, DatabaseUnavailable
from storage.threads import get_thread
from threads.export import export as render_export
from threads.model import ThreadInfo

FormatName = Literal["markdown", "json", "html", "csv"]
SortName = Literal["old", "new", "top"]


class ExportError(Exception):
    """Reported as one line, exit code 1."""


def parse_iso(text: str | None, option: str = "--since") -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ExportError(
            f"{option} {text!r} is not an ISO date or time (e.g. 2024-05-01 or 2024-05-01T12:00Z)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


async def render_thread(
    database_url: str,
    thread_id: int,
    *,
    fmt: FormatName,
    sort: SortName,
    since: datetime | None,
    after: datetime | None = None,
    before: datetime | None = None,
) -> tuple[ThreadInfo, list[str]]:
    db = Database(database_url)
    try:
        await db.upgrade()
        async with db.session() as session:
            row = await get_thread(session, thread_id)
            records = await records_for_thread(session, thread_id)
    finally:
        await db.dispose()
    if row is None:
        raise ExportError(f"no thread {thread_id} in the database (is it tracked?)")
    url = f"https://discord.com/channels/{row.guild_id}/{row.id}" if row.guild_id else None
    info = ThreadInfo(
        id=row.id,
        title=row.name or f"thread {row.id}",
        url=url,
        guild_id=row.guild_id,
        channel_id=row.channel_id,
    )
    chunks = render_export(fmt, info, records, order=sort, since=since, after=after, before=before)
    return info, list(chunks)


def register(app: typer.Typer) -> None:
    @app.command("export")
    def export_command(
        thread_id: Annotated[int, typer.Argument(help="The Discord thread id")],
        format: Annotated[
            FormatName, typer.Option("--format", "-f", help="Output format")
        ] = "markdown",
        sort: Annotated[SortName, typer.Option("--sort", help="Order of sibling comments")] = "old",
        since: Annotated[
            str | None, typer.Option("--since", help="Mark comments newer than this ISO time")
        ] = None,
        after: Annotated[
            str | None, typer.Option("--after", help="Only comments written after this ISO time")
        ] = None,
        before: Annotated[
            str | None,
            typer.Option("--before", help="Only comments written before this ISO time"),
        ] = None,
        out: Annotated[
            Path | None, typer.Option("--out", "-o", help="Write here instead of stdout")
        ] = None,
    ) -> None:
        """Export a mirrored thread's comment tree."""
        try:
            since_at = parse_iso(since)
            window = parse_iso(after, "--after"), parse_iso(before, "--before")
            if window[0] and window[1] and window[0] >= window[1]:
                raise ExportError("--after must be earlier than --before")
            _, chunks = asyncio.run(
                render_thread(
                    Settings().database_url,
                    thread_id,
                    fmt=format,
                    sort=sort,
                    since=since_at,
                    after=window[0],
                    before=window[1],
                )
            )
        except (ExportError, DatabaseUnavailable) as exc:
            typer.echo(f"error: {' '.join(str(exc).split())}", err=True)
            raise typer.Exit(code=1) from None
        if out is None:
            sys.stdout.writelines(chunks)
            return
        with out.open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(chunks)
        typer.echo(f"wrote {out}", err=True)

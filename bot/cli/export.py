"""`anbot export THREAD_ID`: a mirrored thread as Markdown, JSON, HTML or CSV, from the database.

Reads ANBOT_DATABASE_URL. Any failure (unknown thread, bad --since, unreachable database, a file
that cannot be written) is one line on stderr and exit code 1. `--out` never leaves a
half-written file: the whole export is rendered first, written to a temporary file beside the
target and renamed over it; an existing file is only replaced with `--force`, and a failed
write leaves it as it was.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, cast

import typer

from bot.cli._common import CliError, database, run
from storage import MAX_BIGINT

if TYPE_CHECKING:
    import sqlalchemy as sa

    from storage.tables import DiscordThreadRow
    from threads.model import CommentRecord, ThreadInfo

FormatName = Literal["markdown", "json", "html", "csv"]
SortName = Literal["old", "new", "top"]


class ExportError(CliError):
    """Reported as one line, exit code 1."""


def register(app: typer.Typer) -> None:
    app.command("export")(export_command)


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
        str | None, typer.Option("--before", help="Only comments written before this ISO time")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here instead of stdout")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file")] = False,
) -> None:
    """Export a mirrored thread's comment tree."""
    if not 0 < thread_id <= MAX_BIGINT:
        raise ExportError(f"{thread_id} is not a Discord thread id")
    since_at = parse_iso(since)
    after_at, before_at = parse_iso(after, "--after"), parse_iso(before, "--before")
    if after_at and before_at and after_at >= before_at:
        raise ExportError("--after must be earlier than --before")
    if out is not None:
        check_target(out, force=force)  # before any work: a refused target costs nothing
    _, chunks = run(
        lambda: render_thread(
            thread_id, fmt=format, sort=sort, since=since_at, after=after_at, before=before_at
        )
    )
    if out is None:
        write_stdout(chunks)
        return
    write_file(out, chunks, force=force)
    typer.echo(f"wrote {out}", err=True)


def parse_iso(text: str | None, option: str = "--since") -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except ValueError:
        raise ExportError(
            f"{option} {text!r} is not an ISO date or time (e.g. 2024-05-01 or 2024-05-01T12:00Z)"
        ) from None
    except OverflowError:  # 9999-12-31T23:59:59-23:59 is after the last datetime in UTC
        raise ExportError(f"{option} {text!r} is out of range") from None


async def render_thread(
    thread_id: int,
    *,
    fmt: FormatName,
    sort: SortName,
    since: datetime | None,
    after: datetime | None = None,
    before: datetime | None = None,
) -> tuple[ThreadInfo, list[str]]:
    """The thread's export, rendered whole (nothing is written before rendering succeeded)."""
    from threads.export import export as render_export
    from threads.model import ThreadInfo

    async with database() as db:
        row, records = await db.run_sync(_thread_rows, thread_id)
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
    return info, list(
        render_export(fmt, info, records, order=sort, since=since, after=after, before=before)
    )


def _thread_rows(
    conn: sa.Connection, thread_id: int
) -> tuple[DiscordThreadRow | None, list[CommentRecord]]:
    """The thread's row and its comments, on one connection in one transaction: Core
    statements (storage.lookups, storage.comments), so an export loads no ORM or models."""
    from storage import lookups
    from storage.comments import thread_records

    row = conn.execute(lookups.thread_by_id(thread_id)).first()
    return cast("DiscordThreadRow | None", row), thread_records(conn, thread_id)


def check_target(out: Path, *, force: bool) -> None:
    """Refuse an --out that cannot or must not be written, with the reason."""
    try:
        _check_target(out, force=force)
    except OSError as exc:  # a name too long, a loop of links: what stat() said
        raise ExportError(f"--out {out}: {exc.strerror or exc}") from None


def _check_target(out: Path, *, force: bool) -> None:
    if out.is_dir():
        raise ExportError(f"--out {out} is a directory; name a file in it")
    if not out.parent.is_dir():
        raise ExportError(f"--out {out}: directory {out.parent} does not exist")
    if out.exists() or out.is_symlink():
        if not out.is_file():
            # A device, pipe or socket cannot be replaced by a rename; leave out --out to write
            # to standard output instead.
            raise ExportError(f"--out {out} is not a regular file")
        if not force:
            raise ExportError(f"--out {out} exists; add --force to replace it")


def write_file(out: Path, chunks: Iterable[str], *, force: bool) -> None:
    """Write the chunks to a temporary file beside `out`, then rename it to `out` (atomic)."""
    try:
        mode = stat.S_IMODE(out.stat().st_mode)  # a replaced file keeps its permissions
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        handle, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from None
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as file:
            file.writelines(chunks)
            file.flush()
            os.fchmod(file.fileno(), mode)
            os.fsync(file.fileno())  # on disk before the rename makes it the file
        _move_into_place(temporary, out, force=force)
    except OSError as exc:
        raise ExportError(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()


def _move_into_place(temporary: Path, out: Path, *, force: bool) -> None:
    if force:
        os.replace(temporary, out)
        return
    # A hard link fails if `out` appeared meanwhile (no check-then-write race); a file system
    # without hard links falls back to the check.
    try:
        os.link(temporary, out)
    except FileExistsError:
        raise ExportError(f"--out {out} exists; add --force to replace it") from None
    except OSError:
        if out.exists():
            raise ExportError(f"--out {out} exists; add --force to replace it") from None
        os.replace(temporary, out)


def write_stdout(chunks: Iterable[str]) -> None:
    try:
        sys.stdout.writelines(chunks)
        sys.stdout.flush()
    except OSError as exc:
        # A closed pipe or a full disk: the interpreter would try (and fail, noisily) to flush
        # the rest at exit, so point standard output at /dev/null first.
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise ExportError(f"cannot write to standard output: {exc.strerror or exc}") from None

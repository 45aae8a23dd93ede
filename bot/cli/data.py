"""Data commands: `anbot ingest`, `import-database`, `search`, `issue`, `db upgrade`.

Each command reads Settings() and upgrades the database first (bot.cli._common.database); a
failure is one line on stderr with exit code 1 (bad query, unknown issue, missing file,
unreachable database), reported by the boundary in bot.cli._common. The storage, feed and
progress-bar libraries are imported inside the command that needs them, when it runs.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from bot.cli._common import CliError, database, fail, one_line, require_file, run

if TYPE_CHECKING:
    import sqlalchemy as sa

    from storage.db import Database
    from storage.ingest import PollReport
    from storage.search import SearchHit
    from storage.tables import IssueRow, SummaryRow

OPINION_CHARS = 400
SNIPPET_CHARS = 300
# No database holds more summaries than a 32-bit id counts, so no later offset can find a hit.
MAX_OFFSET = 2**31 - 1
QUERY_HELP = 'words, "phrases", -word, section:, author:, by:, issue:'


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
    db_app.command("upgrade")(db_upgrade)
    app.add_typer(db_app, name="db")
    app.command("import-database")(import_database_command)
    app.command("search")(search_command)
    app.command("issue")(issue_command)
    app.command("ingest")(ingest_command)


def db_upgrade() -> None:
    """Apply the database migrations (ANBOT_DATABASE_URL) up to the latest."""

    async def work() -> str | None:
        async with database() as db:
            return await db.current_revision()

    typer.echo(f"database at revision {run(work)}")


def import_database_command(
    csv_path: Annotated[Path, typer.Argument(help="CSV export of the summaries database")],
) -> None:
    """Import the summaries database CSV (safe to run again)."""
    require_file(csv_path)
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from storage.importer import import_database

    started = time.perf_counter()

    async def work() -> str:
        columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, transient=True) as progress:
            task = progress.add_task("import", total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            async with database() as db:
                report = await import_database(db, csv_path, progress=advance)
        return (
            f"{report.rows} rows: {report.inserted} added, {report.enriched} updated, "
            f"{report.unchanged} unchanged; {report.issues_created} new issues "
            f"({time.perf_counter() - started:.1f}s)"
        )

    typer.echo(run(work))


def search_command(
    query: Annotated[str, typer.Argument(help=QUERY_HELP)],
    limit: Annotated[int, typer.Option(min=1, max=100, help="hits to show")] = 5,
    offset: Annotated[int, typer.Option(min=0, max=MAX_OFFSET, help="hits to skip")] = 0,
) -> None:
    """Search the stored summaries."""
    from storage.search import search_summaries
    from storage.search.query import parse_query

    parsed = parse_query(query)  # a QuerySyntaxError is reported by the boundary

    async def work() -> None:
        async with database() as db:
            page = await search_summaries(db, parsed, limit=limit, offset=offset)
        if page.total == 0:
            raise CliError(f"no summaries match {query!r}")
        shown = f"{offset + 1}–{offset + len(page.hits)}" if page.hits else "none"
        typer.echo(f"{page.total_text} summaries match; showing {shown}\n")
        for number, hit in enumerate(page.hits, start=offset + 1):
            _print_hit(number, hit)

    run(work)


def issue_command(
    which: Annotated[str, typer.Argument(help="issue number (56, #56, 'AN #56'), or 'latest'")],
) -> None:
    """List the summaries of one issue."""
    from feeds.issue_numbers import parse_issue_number

    number = None if which.strip().lower() == "latest" else parse_issue_number(which)

    async def work() -> None:
        async with database() as db:
            issue, summaries = await db.run_sync(_issue_listing, number, snapshot=True)
        typer.echo(f"{_issue_title(issue)} · {len(summaries)} summaries")
        if issue.link:
            typer.echo(issue.link)
        section = None
        for position, summary in enumerate(summaries, start=1):
            if summary.section != section:
                section = summary.section
                typer.echo(f"\n{section or '(no section)'}")
            typer.echo(f"  {position}. {_byline(summary)}")

    run(work)


def ingest_command(
    source: Annotated[str, typer.Argument(help="feed URL, or a local feed / plain-text file")],
    number: Annotated[
        str | None, typer.Option(help="issue number of a file that does not say it")
    ] = None,
    title: Annotated[str | None, typer.Option(help="title of a single-issue file")] = None,
    publish: Annotated[bool, typer.Option(help="mark new issues for publishing")] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="print the parsed entries; store nothing")
    ] = False,
) -> None:
    """Fetch a feed (or read a file: feed, HTML, Markdown, text) and store its issues."""
    from feeds.issue_numbers import parse_issue_number

    issue_number = None if number is None else parse_issue_number(number)
    is_url = source.startswith(("http://", "https://"))
    path = Path(source)
    if not is_url:
        require_file(path, " (or give an http(s) URL)")
    if dry_run:
        typer.echo(run(lambda: _dry_run(source, None if is_url else path, issue_number, title)))
        return

    async def work() -> PollReport:
        from storage.ingest import ingest_file

        async with database() as db:
            if is_url:
                return await _poll(db, source)
            return await ingest_file(db, path, publish=publish, number=issue_number, title=title)

    report = run(work)
    if report.error:
        raise fail(f"{source}: {report.error}" + (" (feed disabled)" if report.disabled else ""))
    if report.not_modified:
        typer.echo(f"{source}: not modified since the last poll")
        return
    typer.echo(
        f"{source}: {len(report.new)} new, {len(report.updated)} updated, "
        f"{report.unchanged} unchanged issues"
    )
    for problem in report.item_errors:
        typer.echo(f"warning: entry skipped: {problem}", err=True)
    if report.unplaced:
        n = report.unplaced
        typer.echo(
            f"{n} paragraph{'' if n == 1 else 's'} not placed in any summary "
            "(stored with the issue; see --dry-run)"
        )


def _issue_listing(conn: sa.Connection, number: int | None) -> tuple[IssueRow, list[SummaryRow]]:
    """The issue with this number (the latest one for None) and its summaries, as rows: Core
    statements on one connection (storage.lookups), so `anbot issue` loads no ORM or models."""
    from storage import lookups

    statement = lookups.latest_issues(1) if number is None else lookups.issue_by_number(number)
    issue = conn.execute(statement).first()
    if issue is None and number is None:
        raise CliError("no issues stored yet; run anbot ingest or anbot import-database")
    if issue is None:
        span = lookups.number_span(conn.execute(lookups.NUMBER_RANGE).one())
        if span is None:
            raise CliError(f"no issue #{number}; no numbered issues are stored yet")
        raise CliError(f"no issue #{number}; issues {span[0]}–{span[1]} exist")
    summaries = conn.execute(lookups.summaries_of(issue.id)).all()
    return cast("IssueRow", issue), cast("list[SummaryRow]", summaries)


async def _dry_run(source: str, path: Path | None, number: int | None, title: str | None) -> str:
    """What `ingest` would store, formatted by feeds.issue.dry_run_report; nothing stored."""
    import asyncio

    from feeds.issue import dry_run_report, parse_source
    from feeds.parse import FeedParseError

    if path is not None:
        body = await asyncio.to_thread(path.read_bytes)
        uri = (await asyncio.to_thread(path.resolve)).as_uri()
    else:
        body, uri = await _fetch_body(source), source
    try:
        _, pairs = await asyncio.to_thread(parse_source, body, uri=uri, title=title, number=number)
    except FeedParseError as exc:
        raise CliError(f"{source}: {exc}") from None
    return "\n\n".join(dry_run_report(issue) for _, issue in pairs) or f"{source}: no entries"


async def _fetch_body(url: str) -> bytes:
    """The body at `url`, fetched as the poller would (same limits and address policy)."""
    from bot.config import Settings
    from feeds.fetch import FetchError, feed_session

    settings = Settings()
    async with feed_session(allow_private=settings.allow_private_feeds) as http:
        try:
            result = await settings.feed_fetcher(http).fetch(url)
        except FetchError as exc:
            raise CliError(f"{url}: {exc}") from None
    return result.body or b""


async def _poll(db: Database, url: str) -> PollReport:
    from bot.config import Settings
    from feeds.fetch import feed_session
    from storage.ingest import poll_feed

    settings = Settings()
    async with feed_session(allow_private=settings.allow_private_feeds) as http:
        return await poll_feed(
            db,
            settings.feed_fetcher(http),
            url,
            backfill=settings.backfill,
            max_failures=settings.feed_max_failures,
        )


def _byline(summary: SummaryRow) -> str:
    parts = [summary.title]
    if summary.authors:
        parts.append(f"({summary.authors})")
    if summary.summarizer:
        parts.append(f"(summarized by {summary.summarizer})")
    return " ".join(parts)


def _print_hit(number: int, hit: SearchHit) -> None:
    summary = hit.summary
    where = " · ".join(p for p in (hit.issue_label, summary.section) if p)
    typer.echo(f"{number}. {_byline(summary)}")
    if where:
        typer.echo(f"   {where}")
    if summary.link:
        typer.echo(f"   {summary.link}")
    if hit.snippet:
        typer.echo(f"   {one_line(hit.snippet, SNIPPET_CHARS)}")
    for opinion in summary.opinions:
        by = opinion.get("by") or "Editor"
        typer.echo(f"   {by}'s opinion: {one_line(opinion.get('text', ''), OPINION_CHARS)}")
    typer.echo("")


def _issue_title(issue: IssueRow) -> str:
    label = issue.label or (f"#{issue.number}" if issue.number is not None else "")
    if issue.title and issue.title != label:
        return f"{label} — {issue.title}" if label else issue.title
    return label or "(untitled issue)"

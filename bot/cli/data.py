"""Data commands: `anbot ingest`, `import-database`, `search`, `issue`, `db upgrade`.

Each command reads Settings(), upgrades the database first, and reports a failure as one line
on stderr with exit code 1 (bad query, unknown issue, missing file, unreachable database).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import Settings
from storage.db import Database, DatabaseUnavailable
from storage.importer import DatabaseFileError, import_database
from storage.issues import get_issue_by_number, issue_number_range, latest_issues, summaries_of
from storage.models import Issue, Summary
from storage.query import QuerySyntaxError, SearchQuery, parse_query
from storage.search import SearchHit, search_summaries

if TYPE_CHECKING:  # the feed pipeline is imported only by `anbot ingest`
    from storage.ingest import PollReport

T = TypeVar("T")
OPINION_CHARS = 400
SNIPPET_CHARS = 300
QUERY_HELP = 'words, "a phrase", -word, section:"…", author:…, by:…, issue:56'


class CliError(Exception):
    """A failure to report as one line, without a traceback."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=1)


def _run(work: Callable[[], Awaitable[T]]) -> T:
    try:
        return asyncio.run(_call(work))
    except (CliError, DatabaseUnavailable, DatabaseFileError, QuerySyntaxError) as exc:
        raise _fail(" ".join(str(exc).split())) from None


async def _call(work: Callable[[], Awaitable[T]]) -> T:
    return await work()


@asynccontextmanager
async def _database() -> AsyncIterator[Database]:
    """The configured database, migrated to the latest schema."""
    db = Database(Settings().database_url)
    try:
        await db.upgrade()
        yield db
    finally:
        await db.dispose()


def _one_line(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _byline(summary: Summary) -> str:
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
        typer.echo(f"   {_one_line(hit.snippet, SNIPPET_CHARS)}")
    for opinion in summary.opinions:
        by = opinion.get("by") or "Editor"
        typer.echo(f"   {by}'s opinion: {_one_line(opinion.get('text', ''), OPINION_CHARS)}")
    typer.echo("")


def _issue_title(issue: Issue) -> str:
    label = issue.label or (f"#{issue.number}" if issue.number is not None else "")
    if issue.title and issue.title != label:
        return f"{label} — {issue.title}" if label else issue.title
    return label or "(untitled issue)"


def register(app: typer.Typer) -> None:
    db_app = typer.Typer(help="Database maintenance.", no_args_is_help=True)
    app.add_typer(db_app, name="db")

    @db_app.command("upgrade")
    def db_upgrade() -> None:
        """Apply the database migrations (ANBOT_DATABASE_URL) up to the latest."""

        async def work() -> str | None:
            async with _database() as db:
                return await db.current_revision()

        revision = _run(work)
        typer.echo(f"database at revision {revision}")

    @app.command("import-database")
    def import_database_cmd(
        csv_path: Annotated[Path, typer.Argument(help="CSV export of the summaries database")],
    ) -> None:
        """Import the summaries database CSV (safe to run again)."""
        if not csv_path.is_file():
            raise _fail(f"{csv_path}: no such file")
        started = time.perf_counter()

        async def work() -> str:
            columns = (
                TextColumn("importing"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            with Progress(*columns, transient=True) as progress:
                task = progress.add_task("import", total=None)

                def advance(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                async with _database() as db:
                    report = await import_database(db, csv_path, progress=advance)
            return (
                f"{report.rows} rows: {report.inserted} added, {report.enriched} updated, "
                f"{report.unchanged} unchanged; {report.issues_created} new issues "
                f"({time.perf_counter() - started:.1f}s)"
            )

        typer.echo(_run(work))

    @app.command("search")
    def search_cmd(
        query: Annotated[
            str, typer.Argument(help='words, "phrases", -word, section:, author:, by:, issue:')
        ],
        limit: Annotated[int, typer.Option(min=1, max=100, help="hits to show")] = 5,
        offset: Annotated[int, typer.Option(min=0, help="hits to skip")] = 0,
    ) -> None:
        """Search the stored summaries."""
        try:
            parsed: SearchQuery = parse_query(query)
        except QuerySyntaxError as exc:
            raise _fail(str(exc)) from None

        async def work() -> None:
            async with _database() as db:
                page = await search_summaries(db, parsed, limit=limit, offset=offset)
            if page.total == 0:
                raise CliError(f"no summaries match {query!r}")
            shown = f"{offset + 1}–{offset + len(page.hits)}" if page.hits else "none"
            typer.echo(f"{page.total_text} summaries match; showing {shown}\n")
            for number, hit in enumerate(page.hits, start=offset + 1):
                _print_hit(number, hit)

        _run(work)

    @app.command("issue")
    def issue_cmd(
        which: Annotated[str, typer.Argument(help="issue number, or 'latest'")],
    ) -> None:
        """List the summaries of one issue."""
        if which != "latest" and not which.lstrip("#").isdigit():
            raise _fail(f"{which!r} is not an issue number; give e.g. 56 or latest")

        async def work() -> None:
            async with _database() as db, db.session() as session:
                issue = await _find_issue(session, which)
                summaries = await summaries_of(session, issue.id or 0)
            typer.echo(f"{_issue_title(issue)} · {len(summaries)} summaries")
            if issue.link:
                typer.echo(issue.link)
            section = None
            for number, summary in enumerate(summaries, start=1):
                if summary.section != section:
                    section = summary.section
                    typer.echo(f"\n{section or '(no section)'}")
                typer.echo(f"  {number}. {_byline(summary)}")

        _run(work)

    @app.command("ingest")
    def ingest_cmd(
        source: Annotated[str, typer.Argument(help="feed URL, or a local feed / plain-text file")],
        number: Annotated[
            int | None, typer.Option(help="issue number of a file that does not say it")
        ] = None,
        title: Annotated[str | None, typer.Option(help="title of a single-issue file")] = None,
        publish: Annotated[bool, typer.Option(help="mark new issues for publishing")] = False,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="print the parsed entries; store nothing")
        ] = False,
    ) -> None:
        """Fetch a feed (or read a file: feed, HTML, Markdown, text) and store its issues."""

        is_url = source.startswith(("http://", "https://"))
        path = Path(source)
        if not is_url and not path.is_file():
            raise _fail(f"{source}: no such file (or give an http(s) URL)")
        if dry_run:
            typer.echo(_run(lambda: _dry_run(source, path if not is_url else None, number, title)))
            return

        async def work() -> PollReport:
            async with _database() as db:
                if is_url:
                    return await _poll(db, source)
                from storage.ingest import ingest_file

                return await ingest_file(db, path, publish=publish, number=number, title=title)

        report = _run(work)
        if report.error:
            raise _fail(
                f"{source}: {report.error}" + (" (feed disabled)" if report.disabled else "")
            )
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


async def _find_issue(session: AsyncSession, which: str) -> Issue:
    if which == "latest":
        latest = await latest_issues(session, 1)
        if not latest:
            raise CliError("no issues stored yet; run anbot ingest or anbot import-database")
        return latest[0]
    number = int(which.lstrip("#"))
    issue = await get_issue_by_number(session, number)
    if issue is None:
        span = await issue_number_range(session)
        if span is None:
            raise CliError(f"no issue #{number}; no numbered issues are stored yet")
        raise CliError(f"no issue #{number}; issues {span[0]}–{span[1]} exist")
    return issue


async def _dry_run(source: str, path: Path | None, number: int | None, title: str | None) -> str:
    """What `ingest` would store, formatted by feeds.issue.dry_run_report; nothing stored."""
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
    import aiohttp

    from feeds.fetch import FeedFetcher, FetchError

    settings = Settings()
    async with aiohttp.ClientSession() as http:
        fetcher = FeedFetcher(
            http, timeout=settings.fetch_timeout, max_bytes=settings.fetch_max_bytes,
            max_redirects=5,
        )  # fmt: skip
        try:
            result = await fetcher.fetch(url)
        except FetchError as exc:
            raise CliError(f"{url}: {exc}") from None
    return result.body or b""


async def _poll(db: Database, url: str) -> PollReport:
    import aiohttp

    from feeds.fetch import FeedFetcher
    from storage.ingest import poll_feed

    settings = Settings()
    async with aiohttp.ClientSession() as http:
        fetcher = FeedFetcher(
            http,
            timeout=settings.fetch_timeout,
            max_bytes=settings.fetch_max_bytes,
            max_redirects=5,
        )
        return await poll_feed(
            db, fetcher, url, backfill=settings.backfill, max_failures=settings.feed_max_failures
        )

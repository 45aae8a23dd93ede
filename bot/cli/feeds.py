"""`anbot feeds list|add|remove|pause|resume|enable|test`: feed management from a shell.

The checks, the work and the answers are bot.feeds.manage's, the same as `/an feed …` in
Discord; a refusal is one line on stderr (exit code 1) and saves nothing. The CLI cannot ask
Discord whether a channel exists: the id is stored as given, and the publisher reports a wrong
one in the mod-log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot.cli._common import CliError, database, run
from storage import MAX_BIGINT

if TYPE_CHECKING:
    from bot.config import Settings
    from feeds.fetch import FeedFetcher
    from storage.db import Database

T = TypeVar("T")
feeds_app = typer.Typer(help="Manage the feeds the bot polls (the database is the truth).")


def register(app: typer.Typer) -> None:
    app.add_typer(feeds_app, name="feeds")


@asynccontextmanager
async def _context() -> AsyncIterator[tuple[Settings, Database, FeedFetcher]]:
    from bot.config import Settings
    from feeds.fetch import feed_session

    settings = Settings()
    async with database() as db, feed_session(allow_private=settings.allow_private_feeds) as http:
        yield settings, db, settings.feed_fetcher(http)


def _answer(work: Callable[[Settings, Database, FeedFetcher], Awaitable[str]]) -> None:
    from bot.feeds.manage import FeedInputError

    async def go() -> str:
        async with _context() as (settings, db, fetcher):
            try:
                return await work(settings, db, fetcher)
            except FeedInputError as exc:
                raise CliError(str(exc)) from None

    typer.echo(run(go))


Url = Annotated[str, typer.Argument(help="The feed's http(s) address.")]


@feeds_app.command("list")
def list_feeds() -> None:
    """Every feed with its channels, state, last success, last new item and next poll."""
    from bot.feeds import manage

    _answer(lambda s, db, _f: manage.list_text(db, guild_id=None, poll_interval=s.poll_interval))


@feeds_app.command("add")
def add(
    url: Url,
    channel: Annotated[
        int, typer.Option(min=1, max=MAX_BIGINT, help="The Discord channel id to post to.")
    ],
    mode: Annotated[str, typer.Option(help="forum (a post per summary) or thread.")] = "forum",
    ping_role: Annotated[
        int | None, typer.Option(min=1, max=MAX_BIGINT, help="Role to ping on new posts.")
    ] = None,
    sections: Annotated[str | None, typer.Option(help="Only these sections (a, b).")] = None,
    not_sections: Annotated[str | None, typer.Option(help="Never these sections.")] = None,
    keywords: Annotated[str | None, typer.Option(help="Only entries with these words.")] = None,
    not_keywords: Annotated[str | None, typer.Option(help="Never entries with these.")] = None,
    backfill: Annotated[
        int, typer.Option(min=0, max=100, help="Newest entries posted on the first poll.")
    ] = 0,
    guild: Annotated[
        int | None,
        typer.Option(min=1, max=MAX_BIGINT, help="The server it belongs to (feed limit)."),
    ] = None,
) -> None:
    """Fetch the feed once, then save it with its channel; says what it found."""
    from bot.feeds import manage

    async def work(settings: Settings, db: Database, fetcher: FeedFetcher) -> str:
        route = manage.parse_route(
            channel,
            mode=mode,
            ping_role_id=ping_role,
            sections=sections,
            not_sections=not_sections,
            keywords=keywords,
            not_keywords=not_keywords,
        )
        return await manage.add_feed(
            db,
            fetcher,
            url=url,
            route=route,
            guild_id=guild,
            max_per_guild=settings.max_feeds_per_guild,
            backfill=backfill,
        )

    _answer(work)


@feeds_app.command("remove")
def remove(url: Url) -> None:
    """Stop the feed; its pending posts are dropped, its summaries stay searchable."""
    from bot.feeds import manage

    _answer(lambda _s, db, _f: manage.remove_feed(db, url=url))


@feeds_app.command("pause")
def pause(url: Url) -> None:
    """Stop polling the feed until `resume`."""
    from bot.feeds import manage

    _answer(lambda _s, db, _f: manage.pause_feed(db, url=url, paused=True))


@feeds_app.command("resume")
def resume(url: Url) -> None:
    """Poll a paused feed again."""
    from bot.feeds import manage

    _answer(lambda _s, db, _f: manage.pause_feed(db, url=url, paused=False))


@feeds_app.command("enable")
def enable(url: Url) -> None:
    """Re-enable a disabled feed (fetched once first)."""
    from bot.feeds import manage

    _answer(lambda _s, db, fetcher: manage.enable_feed(db, fetcher, url=url))


@feeds_app.command("test")
def test(url: Url) -> None:
    """Dry run: the newest entry's summaries, their sections and tags, and where each goes."""
    from bot.feeds import manage

    _answer(lambda _s, db, fetcher: manage.test_feed(db, fetcher, url=url))

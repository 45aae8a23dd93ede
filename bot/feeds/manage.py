"""Feed management shared by `/an feed …` and `anbot feeds …`: the checks, the work and the texts.

No Discord here: the cog adds what only Discord knows (is the channel in this server?) and both
front ends show these texts, so a moderator reads the same answer in Discord and in a shell.
Every refusal is a `FeedInputError` with one line saying what to change; nothing is saved then.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from yarl import URL

from feeds.fetch import FeedFetcher, FetchError
from feeds.filters import RouteFilter
from feeds.issue import parse_issue
from feeds.parse import FeedParseError, ParsedFeed, parse_feed
from storage import feeds as store
from storage.db import Database
from storage.models import Feed
from storage.publications import route_filter

log = logging.getLogger(__name__)
MODES = ("forum", "thread")


class FeedInputError(Exception):
    """A feed command refused: the message says what was wrong, in one line."""


@dataclass(frozen=True, slots=True)
class Probe:
    """What one fetch of a feed found."""

    url: str
    title: str
    feed: ParsedFeed
    newest_label: str | None  # "AN #173" or the newest item's title
    newest_summaries: int
    layout: str

    def text(self) -> str:
        """ "AN feed: 173 items, newest AN #173; 12 summaries in the newest"."""
        kind = "AN feed" if self.layout == "an" else f"Feed “{self.title or self.url}”"
        n = len(self.feed.items)
        if n == 0:
            return f"{kind}: no items yet"
        items = "1 item" if n == 1 else f"{n} items"
        text = f"{kind}: {items}, newest {self.newest_label}"
        if self.layout == "an":
            text += f"; {self.newest_summaries} summaries in the newest"
        return text


def check_url(url: str) -> str:
    """The URL stripped, or FeedInputError unless it is http(s)://host/…"""
    url = url.strip()
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        raise FeedInputError(f"`{url}` is not a URL: give the feed's http(s):// address.") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FeedInputError(
            f"`{url}` is not an http(s) address: give the feed's http:// or https:// URL."
        )
    return url


def not_a_channel(text: str) -> str:
    return f"`{text}` is not a channel: mention it (#name) or give its id."


def unknown_channel(channel_id: int) -> str:
    return f"I can't find a channel with id {channel_id}: check the id, and that I can see it."


def other_guild_channel(channel_id: int) -> str:
    return f"Channel {channel_id} belongs to another server: pick a channel of this one."


def wrong_channel_kind(channel_id: int, mode: str) -> str:
    if mode == "forum":
        return f"<#{channel_id}> is not a forum: pick a forum channel, or use mode thread."
    return f"<#{channel_id}> is not a text channel: mode thread needs one (or use mode forum)."


def explain_fetch_error(url: str, exc: Exception) -> str:
    """A fetch or parse failure as the specific line a moderator can act on."""
    if isinstance(exc, FetchError):
        message = str(exc)
        if exc.status == 404:
            return f"{url} answered 404 (not found): check the address."
        if exc.status is not None and exc.status >= 400:
            return f"{url} answered HTTP {exc.status}: {message}"
        if exc.kind == "not_feed":
            return f"{url} is a web page, not a feed: look on it for its RSS or Atom link."
        if exc.kind == "refused":
            return (
                f"{url} points to a private or local address; feeds must be public "
                "(the operator can allow local feeds with ANBOT_ALLOW_PRIVATE_FEEDS)."
            )
        if exc.kind == "tls":
            return f"{url}: the TLS (https) connection failed: {exc.detail or message}"
        if exc.kind == "too_large":
            return (
                f"{url} is too large: the body passed {exc.limit or 0:,.0f} bytes "
                "(ANBOT_FETCH_MAX_BYTES)."
            )
        if exc.kind == "timeout":
            return (
                f"{url} did not answer in time: the fetch took longer than {exc.limit or 0:g} s "
                "(ANBOT_FETCH_TIMEOUT)."
            )
        return f"{url}: {message}"
    if isinstance(exc, FeedParseError):
        return f"{url} is not a feed: {exc}"
    return f"{url}: {type(exc).__name__}: {exc}"


async def probe(fetcher: FeedFetcher, url: str) -> Probe:
    """Fetch and parse `url` once; FeedInputError (specific) when it is not a working feed."""
    try:
        result = await fetcher.fetch(url)
        parsed = await parse_feed(
            result.body or b"", url=result.url, content_type=result.content_type
        )
    except (FetchError, FeedParseError) as exc:
        raise FeedInputError(explain_fetch_error(url, exc)) from None
    newest_label, count, layout = None, 0, "generic"
    if parsed.items:
        newest = max(
            parsed.items,
            key=lambda i: i.published or i.updated or datetime.min.replace(tzinfo=UTC),
        )
        issue = parse_issue(newest)
        layout = issue.layout
        newest_label = issue.label or f"“{newest.title}”"
        count = len(issue.summaries)
    return Probe(url, parsed.title or "", parsed, newest_label, count, layout)


def parse_route(
    channel_id: int,
    *,
    mode: str = "forum",
    ping_role_id: int | None = None,
    sections: str | None = None,
    not_sections: str | None = None,
    keywords: str | None = None,
    not_keywords: str | None = None,
) -> store.RouteSpec:
    from feeds.filters import split_list

    if mode not in MODES:
        raise FeedInputError(f"mode `{mode}` is not one of: forum, thread.")
    return store.RouteSpec(
        channel_id=channel_id,
        mode=mode,
        ping_role_id=ping_role_id,
        include_sections=tuple(split_list(sections)),
        exclude_sections=tuple(split_list(not_sections)),
        include_words=tuple(split_list(keywords)),
        exclude_words=tuple(split_list(not_keywords)),
    )


async def add_feed(
    db: Database,
    fetcher: FeedFetcher,
    *,
    url: str,
    route: store.RouteSpec,
    guild_id: int | None,
    max_per_guild: int,
    backfill: int,
) -> str:
    """Check, fetch once, then save the feed with its route; the answer says what was found."""
    url = check_url(url)
    if backfill < 0:
        raise FeedInputError("backfill must be 0 or more (the newest entries posted at once).")
    async with db.session() as session:
        existing = await store.get_feed(session, url=url)
        if guild_id is not None and (existing is None or existing.removed):
            count = await store.count_guild_feeds(session, guild_id=guild_id)
            if count >= max_per_guild:
                raise FeedInputError(
                    f"This server already has {count} feeds, the limit "
                    f"(ANBOT_MAX_FEEDS_PER_GUILD={max_per_guild}): remove one first."
                )
    found = await probe(fetcher, url)
    async with db.session() as session:
        feed = await store.add_feed(
            session,
            url=url,
            guild_id=guild_id,
            routes=[route],
            backfill=backfill,
            title=found.title or None,
        )
        await session.commit()
    log.info("feed %s added (id %s) → channel %s", url, feed.id, route.channel_id)
    first = (
        "nothing posted from what is there now"
        if backfill == 0
        else f"the newest {backfill} posted, the rest recorded"
    )
    flt = RouteFilter(
        route.include_sections, route.exclude_sections, route.include_words, route.exclude_words
    )
    where = f"<#{route.channel_id}> ({route.mode})"
    filters = f"; filters: {flt.describe()}" if flt.active else ""
    return f"Added. {found.text()}. Posting to {where}{filters}; first poll: {first}."


async def _find(db: Database, url: str, guild_id: int | None) -> Feed:
    """The live feed at `url`; from Discord (`guild_id` set) only a feed of that server (or one
    seeded from the environment), so one server's moderators never touch another's feeds."""
    async with db.session() as session:
        feed = await store.get_feed(session, url=url.strip())
    foreign = guild_id is not None and feed is not None and feed.guild_id not in (None, guild_id)
    if feed is None or feed.removed or foreign:
        raise FeedInputError(f"No feed with the address {url.strip()} (see the feed list).")
    return feed


async def remove_feed(db: Database, *, url: str, guild_id: int | None = None) -> str:
    feed = await _find(db, url, guild_id)
    async with db.session() as session:
        row = await session.get(Feed, feed.id)
        assert row is not None
        dropped = await store.remove_feed(session, row)
        await session.commit()
    log.info("feed %s removed; %d pending posts dropped", feed.url, dropped)
    posts = "post" if dropped == 1 else "posts"
    return f"Removed {feed.url}; {dropped} pending {posts} dropped. Its summaries stay searchable."


async def pause_feed(db: Database, *, url: str, paused: bool, guild_id: int | None = None) -> str:
    feed = await _find(db, url, guild_id)
    async with db.session() as session:
        row = await session.get(Feed, feed.id)
        assert row is not None
        await store.set_paused(session, row, paused=paused)
        await session.commit()
    return f"{'Paused' if paused else 'Resumed'} {feed.url}."


async def enable_feed(
    db: Database, fetcher: FeedFetcher, *, url: str, guild_id: int | None = None
) -> str:
    """Re-enable a disabled feed after one successful fetch."""
    feed = await _find(db, url, guild_id)
    found = await probe(fetcher, feed.url)
    async with db.session() as session:
        row = await session.get(Feed, feed.id)
        assert row is not None
        was = row.disabled
        await store.enable_feed(session, row)
        row.paused = False
        await store.record_notified(session, row, "ok")
        await session.commit()
    state = "Enabled" if was else "Already enabled; checked"
    return f"{state} {feed.url}. {found.text()}."


async def test_feed(
    db: Database, fetcher: FeedFetcher, *, url: str, guild_id: int | None = None, limit: int = 15
) -> str:
    """Dry run: the newest entry's summaries with section, tag and whether each route posts it."""
    from bot.publish.render import tag_name
    from storage.models import Summary

    feed = await _find(db, url, guild_id)
    found = await probe(fetcher, feed.url)
    async with db.session() as session:
        routes = await store.feed_routes(session, feed)
    lines = [f"{found.text()}."]
    if not found.feed.items:
        return lines[0]
    newest = max(
        found.feed.items,
        key=lambda i: i.published or i.updated or datetime.min.replace(tzinfo=UTC),
    )
    issue = parse_issue(newest)
    lines.append(f"Newest: {issue.label or newest.title}")
    for s in issue.summaries[:limit]:
        tag = tag_name(
            Summary(title=s.title, section=s.section, highlight=s.highlight, dedupe_key="")
        )
        where = [
            f"<#{r.channel_id}>"
            for r in routes
            if route_filter(r).accepts(section=s.section, title=s.title, text=s.summary)
        ]
        to = ", ".join(where) if where else "filtered out"
        lines.append(f"• {s.title} — {s.section or 'no section'} (tag: {tag or 'none'}) → {to}")
    if len(issue.summaries) > limit:
        lines.append(f"… and {len(issue.summaries) - limit} more")
    return "\n".join(lines)


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    seconds = max((now - when).total_seconds(), 0)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return "just now"


def state_text(feed: Feed) -> str:
    if feed.disabled:
        return f"disabled: {feed.disabled_reason or feed.last_error or 'no reason recorded'}"
    if feed.paused:
        return "paused"
    if feed.consecutive_failures:
        return f"failing {feed.consecutive_failures} times: {feed.last_error}"
    return "ok"


async def list_text(
    db: Database, *, guild_id: int | None, poll_interval: float, now: datetime | None = None
) -> str:
    """Every feed: channels, state, last success, last new item, next poll."""
    now = now or datetime.now(UTC)
    async with db.session() as session:
        feeds = await store.managed_feeds(session, guild_id=guild_id)
        routes = {f.id: await store.feed_routes(session, f) for f in feeds}
    if not feeds:
        return "No feeds yet: add one with `/an feed add` (or `anbot feeds add`)."
    lines = []
    for f in feeds:
        channels = (
            ", ".join(
                f"<#{r.channel_id}> {r.mode}"
                + (f" [{route_filter(r).describe()}]" if route_filter(r).active else "")
                for r in routes[f.id]
            )
            or "no channel (ANBOT_PUBLISH_CHANNELS)"
        )
        if f.disabled or f.paused:
            next_poll = "not polled"
        elif f.last_polled_at is None:
            next_poll = "at the next poll"
        else:
            due = f.last_polled_at + timedelta(seconds=poll_interval)
            next_poll = "now" if due <= now else f"in {_ago(now, due).replace(' ago', '')}"
        last_ok = f.last_polled_at if not f.consecutive_failures else None
        lines.append(
            f"**{f.title or f.url}** <{f.url}> → {channels}\n"
            f"  state: {state_text(f)}; last success: {_ago(last_ok, now)}; "
            f"last new item: {_ago(f.last_new_item_at, now)}; next poll: {next_poll}"
            + skipped_text(f)
        )
    return "\n".join(lines)


SKIPPED_SHOWN = 3  # entries named in the list; the rest counted


def skipped_text(feed: Feed) -> str:
    """The entries the last poll skipped (the database refused them), with the reason: a line
    of the feed list, or nothing. They are tried again on the next poll."""
    skipped = feed.skipped_entries or []
    if not skipped:
        return ""
    shown = "; ".join(
        f"{_clip(e.get('entry', ''), 80)}: {_clip(e.get('reason', ''), 120)}"
        for e in skipped[:SKIPPED_SHOWN]
    )
    more = f" (and {len(skipped) - SKIPPED_SHOWN} more)" if len(skipped) > SKIPPED_SHOWN else ""
    return f"\n  skipped by the last poll, tried again next time: {shown}{more}"


def _clip(text: str, limit: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notice_text(feed: Feed, state: str) -> str:
    """The mod-log line for a feed whose state changed to `state`."""
    name = feed.title or feed.url
    if state == "disabled":
        return (
            f"Feed **{name}** <{feed.url}> is disabled: {feed.disabled_reason}. Fix it, then "
            f"re-enable it with `/an feed enable url:{feed.url}` "
            f"(or `anbot feeds enable {feed.url}`)."
        )
    if state == "failing":
        return (
            f"Feed **{name}** <{feed.url}> is failing: {feed.last_error}. It is retried with "
            "backoff and disabled after repeated failures."
        )
    return f"Feed **{name}** <{feed.url}> recovered: its last poll worked."


def _discuss_key(guild_id: int) -> str:
    return f"discuss_channel:{guild_id}"


async def discuss_channel(db: Database, *, guild_id: int) -> int | None:
    """The forum where this server's members open discussions of older summaries."""
    async with db.session() as session:
        value = await store.get_setting(session, _discuss_key(guild_id))
    return int(value) if value and value.isdecimal() else None


async def set_discuss_channel(db: Database, *, guild_id: int, channel_id: int) -> str:
    async with db.session() as session:
        await store.set_setting(session, _discuss_key(guild_id), str(channel_id))
        await session.commit()
    return f"Discussions opened with `/an discuss` now go to <#{channel_id}>."

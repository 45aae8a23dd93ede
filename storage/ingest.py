"""The feed pipeline without Discord: fetch → parse → split into summaries → store.

`poll_feed` is what the bot's feed loop and `anbot ingest URL` call; it never raises for a bad
feed (the error lands in the report and on the Feed row) and commits once per poll.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from feeds.fetch import FeedFetcher, FetchError, backoff_delay
from feeds.issue import parse_issue, parse_source
from feeds.parse import FeedParseError, parse_feed
from feeds.types import FeedItem
from storage.db import Database
from storage.feeds import get_or_create_feed, record_poll_failure, record_poll_success
from storage.issues import IssueChange, upsert_issue
from storage.models import Feed

log = logging.getLogger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(slots=True)
class PollReport:
    url: str = ""
    new: list[int] = field(default_factory=list)  # issue ids, oldest first
    updated: list[int] = field(default_factory=list)
    unchanged: int = 0
    not_modified: bool = False
    error: str | None = None
    disabled: bool = False
    published: list[int] = field(default_factory=list)  # the new ids that should be posted
    item_errors: list[str] = field(default_factory=list)  # entries that could not be split
    unplaced: int = 0  # paragraphs stored with their issue but in no summary (see feeds.issue)
    backoff_until: datetime | None = None  # not fetched: the feed failed lately, wait till then


def _chronological(items: list[FeedItem]) -> list[FeedItem]:
    """Oldest first, so issues get ids (and posts) in the order they appeared."""
    if all(i.published or i.updated for i in items):
        return sorted(items, key=lambda i: i.published or i.updated or _EPOCH)
    return list(reversed(items))  # feeds list newest first


async def poll_feed(
    db: Database,
    fetcher: FeedFetcher,
    url: str,
    *,
    backfill: int,
    max_failures: int,
    backoff_base: float = 0.0,
) -> PollReport:
    """Poll one feed once and store what is new or changed.

    With `backoff_base` > 0 a feed that failed lately is not fetched until its backoff delay
    (feeds.fetch.backoff_delay of its consecutive failures) has passed since its last poll.
    """
    report = PollReport(url=url)
    async with db.session() as session:
        feed = await get_or_create_feed(session, url=url)
        if feed.disabled:
            await session.commit()
            report.error, report.disabled = feed.disabled_reason or "feed disabled", True
            return report
        until = _backoff_until(feed, backoff_base)
        if until is not None and datetime.now(UTC) < until:
            await session.commit()
            report.backoff_until = until
            return report
        try:
            result = await fetcher.fetch(
                url,
                etag=feed.etag,
                last_modified=feed.last_modified,
                previous_hash=feed.content_hash,
            )
            if result.status != "ok":
                await record_poll_success(
                    session,
                    feed,
                    etag=result.etag or feed.etag,
                    last_modified=result.last_modified or feed.last_modified,
                    content_hash=result.content_hash,
                )
                await session.commit()
                report.not_modified = True
                return report
            parsed = await parse_feed(
                result.body or b"", url=result.url, content_type=result.content_type
            )
        except (FetchError, FeedParseError) as exc:
            permanent = bool(getattr(exc, "permanent", False))
            report.error = str(exc)
            report.disabled = await record_poll_failure(
                session, feed, error=report.error, max_failures=max_failures, permanent=permanent
            )
            await session.commit()
            return report
        await _store_items(session, feed, parsed.items, backfill=backfill, report=report)
        await record_poll_success(
            session,
            feed,
            etag=result.etag,
            last_modified=result.last_modified,
            content_hash=result.content_hash,
            title=parsed.title,
        )
        await session.commit()
    return report


def _backoff_until(feed: Feed, base: float) -> datetime | None:
    if base <= 0 or feed.consecutive_failures <= 0 or feed.last_polled_at is None:
        return None
    # Jitter drawn from the feed and its failure count: the same from poll to poll
    # (a fresh draw per poll would let the shortest of many draws win), different per feed.
    rng = random.Random(f"{feed.id}:{feed.consecutive_failures}")
    delay = backoff_delay(feed.consecutive_failures, base=base, rng=rng.random)
    return feed.last_polled_at + timedelta(seconds=delay)


async def _store_items(
    session: AsyncSession, feed: Feed, items: list[FeedItem], *, backfill: int, report: PollReport
) -> None:
    assert feed.id is not None
    first_poll = not feed.first_poll_done
    ordered = _chronological(items)
    # On the first poll only the newest `backfill` entries are published; the rest are history.
    publish_from = max(len(ordered) - backfill, 0) if first_poll else 0
    seen: set[str] = set()
    for index, item in enumerate(ordered):
        if item.entry_id in seen:  # the same entry twice in one document
            continue
        seen.add(item.entry_id)
        try:
            parsed = parse_issue(item)
        except Exception as exc:  # a parser bug must not lose the other entries of the feed
            log.exception("cannot split entry %s of %s", item.entry_id, feed.url)
            report.item_errors.append(f"{item.entry_id}: {exc}")
            continue
        change = await upsert_issue(
            session, feed_id=feed.id, item=item, parsed=parsed, publish=index >= publish_from
        )
        report.unplaced += len(parsed.unplaced)
        _count(report, change)
    feed.first_poll_done = True
    session.add(feed)


def _count(report: PollReport, change: IssueChange) -> None:
    issue_id = change.issue.id
    assert issue_id is not None
    if change.kind == "new":
        report.new.append(issue_id)
        if change.issue.publish:
            report.published.append(issue_id)
    elif change.kind == "updated":
        report.updated.append(issue_id)
    else:
        report.unchanged += 1


async def ingest_file(
    db: Database,
    path: Path,
    *,
    publish: bool = False,
    number: int | None = None,
    title: str | None = None,
) -> PollReport:
    """Store a local RSS/Atom file, or one issue (HTML, Markdown, text), as if polled from a feed.

    The file's URI is the feed URL (and, for plain text, the entry id), so ingesting the same
    file again only reports it unchanged, or updated when its text changed. `number`/`title`
    name an issue whose text does not say which issue it is. Raises FeedParseError for a
    broken feed file.
    """
    body = await asyncio.to_thread(path.read_bytes)
    uri = (await asyncio.to_thread(path.resolve)).as_uri()
    report = PollReport(url=uri)
    # feed XML, a saved HTML page, Markdown or plain text: told apart by content
    try:
        feed_title, pairs = await asyncio.to_thread(
            parse_source, body, uri=uri, title=title, number=number
        )
    except FeedParseError as exc:
        report.error = str(exc)
        return report
    async with db.session() as session:
        feed = await get_or_create_feed(session, url=uri)
        assert feed.id is not None
        for item, parsed in pairs:
            change = await upsert_issue(
                session, feed_id=feed.id, item=item, parsed=parsed, publish=publish
            )
            report.unplaced += len(parsed.unplaced)
            _count(report, change)
        feed.first_poll_done = True
        await record_poll_success(
            session, feed, etag=None, last_modified=None, content_hash=None, title=feed_title
        )
        await session.commit()
    return report

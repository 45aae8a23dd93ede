"""The feed pipeline without Discord: fetch → parse → split into summaries → store.

`poll_feed` is what the bot's feed loop and `anbot ingest URL` call; it never raises for a bad
feed: every failure (fetch, parse, or the database refusing the poll) lands in the report and
is counted on the Feed row, whose row is committed before the fetch so that even a first poll's
failure is recorded. One entry the database refuses is skipped with its reason (kept on the row
and retried next poll); the others are stored. Entries are stored set-based in short
transactions (on SQLite each holds the write lock for about 0.25 s at most, sized by the last
one's time), so a 10k-entry feed never holds SQLite's write lock for more than a fraction of a
second and the mirror's writes get in between.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from feeds.fetch import FeedFetcher, FetchError, backoff_delay
from feeds.issue import parse_issue, parse_source
from feeds.parse import FeedParseError, parse_feed
from feeds.types import FeedItem, ParsedIssue
from storage.db import Database, retry_locked
from storage.feeds import (
    get_or_create_feed,
    lock_feed,
    record_poll_failure,
    record_poll_success,
)
from storage.issues import Entry, IssueChange, upsert_issue, upsert_issues
from storage.models import Feed, utcnow

log = logging.getLogger(__name__)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A storing transaction holds its locks at most about this long (store_entries sizes batches by
# it). SQLite: its one write lock must be free again quickly (the mirror writes in between);
# PostgreSQL locks rows, so longer batches only save commits.
BATCH_SECONDS = {"sqlite": 0.25, "postgresql": 0.5}
FIRST_BATCH = 20  # entries in a feed's first storing transaction; later ones sized by its time
MAX_BATCH = 1000
PERMANENT_BACKOFF_FACTOR = 8  # a 404 or an HTML page waits this much longer than a timeout
T = TypeVar("T")


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
    item_errors: list[str] = field(default_factory=list)  # entries skipped, with the reason
    unplaced: int = 0  # paragraphs stored with their issue but in no summary (see feeds.issue)
    backoff_until: datetime | None = None  # not fetched: the feed failed lately, wait till then
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (entry id, reason)

    def skip(self, entry_id: str, reason: str) -> None:
        self.skipped.append((entry_id, reason))
        shown = entry_id if len(entry_id) <= 200 else entry_id[:199] + "…"
        self.item_errors.append(f"{shown}: {reason}")

    def merge(self, other: PollReport) -> None:
        self.new += other.new
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.published += other.published
        self.skipped += other.skipped
        self.item_errors += other.item_errors
        self.unplaced += other.unplaced


def _chronological(items: list[FeedItem]) -> list[FeedItem]:
    """Oldest first, so issues get ids (and posts) in the order they appeared."""
    if all(i.published or i.updated for i in items):
        return sorted(items, key=lambda i: i.published or i.updated or _EPOCH)
    return list(reversed(items))  # feeds list newest first


async def _transaction(db: Database, what: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work(session)` committed as one transaction, tried again while another process holds
    SQLite's write lock (storage.db.retry_locked)."""

    async def attempt() -> T:
        async with db.session() as session:
            result = await work(session)
            await session.commit()
            return result

    return await retry_locked(attempt, what=what)


async def _feed_row(db: Database, url: str) -> Feed:
    async def work(session: AsyncSession) -> Feed:
        return await get_or_create_feed(session, url=url)

    return await _transaction(db, url, work)


async def _record_failure(
    db: Database, feed: Feed, error: str, *, permanent: bool, max_failures: int
) -> bool:
    async def work(session: AsyncSession) -> bool:
        row = await session.get(Feed, feed.id)
        assert row is not None
        return await record_poll_failure(
            session, row, error=error, max_failures=max_failures, permanent=permanent
        )

    return await _transaction(db, feed.url, work)


Finish = Callable[[AsyncSession, Feed], Awaitable[None]]


def _success(
    *,
    etag: str | None,
    last_modified: str | None,
    content_hash: str | None,
    title: str | None = None,
    report: PollReport | None = None,
    first_poll_done: bool = False,
) -> Finish:
    """What a successful poll writes on the feed row, as a step of a transaction."""

    async def finish(session: AsyncSession, row: Feed) -> None:
        if first_poll_done:
            row.first_poll_done = True
        if report is not None and report.new:
            row.last_new_item_at = utcnow()
        await record_poll_success(
            session,
            row,
            etag=etag,
            last_modified=last_modified,
            content_hash=content_hash,
            title=title,
            skipped=report.skipped if report is not None else None,
        )

    return finish


async def _record_success(db: Database, feed: Feed, finish: Finish) -> None:
    async def work(session: AsyncSession) -> None:
        row = await session.get(Feed, feed.id)
        assert row is not None
        await finish(session, row)

    await _transaction(db, feed.url, work)


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
    feed = await _feed_row(db, url)
    if feed.disabled:
        report.error, report.disabled = feed.disabled_reason or "feed disabled", True
        return report
    until = _backoff_until(feed, backoff_base)
    if until is not None and datetime.now(UTC) < until:
        report.backoff_until = until
        return report
    try:
        result = await fetcher.fetch(
            url, etag=feed.etag, last_modified=feed.last_modified, previous_hash=feed.content_hash
        )
        if result.status != "ok":
            await _record_success(
                db,
                feed,
                _success(
                    etag=result.etag or feed.etag,
                    last_modified=result.last_modified or feed.last_modified,
                    content_hash=result.content_hash,
                ),
            )
            report.not_modified = True
            return report
        parsed = await parse_feed(
            result.body or b"", url=result.url, content_type=result.content_type
        )
        finish = _success(
            etag=result.etag,
            last_modified=result.last_modified,
            content_hash=result.content_hash,
            title=parsed.title,
            report=report,
            first_poll_done=True,
        )
        await _store_items(db, feed, parsed.items, backfill=backfill, report=report, finish=finish)
    except Exception as exc:  # any failure of this feed is this feed's failure, counted on it
        permanent = isinstance(exc, FetchError | FeedParseError) and exc.permanent
        if isinstance(exc, FetchError | FeedParseError):
            report.error = str(exc)
        else:
            log.exception("polling %s failed", url)
            report.error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"[:500]
        report.disabled = await _record_failure(
            db, feed, report.error, permanent=permanent, max_failures=max_failures
        )
    return report


def _backoff_until(feed: Feed, base: float) -> datetime | None:
    if base <= 0 or feed.consecutive_failures <= 0 or feed.last_polled_at is None:
        return None
    if feed.last_error_permanent:
        base *= PERMANENT_BACKOFF_FACTOR
    # Jitter drawn from the feed and its failure count: the same from poll to poll
    # (a fresh draw per poll would let the shortest of many draws win), different per feed.
    rng = random.Random(f"{feed.id}:{feed.consecutive_failures}")
    delay = backoff_delay(feed.consecutive_failures, base=base, rng=rng.random)
    return feed.last_polled_at + timedelta(seconds=delay)


async def _store_items(
    db: Database,
    feed: Feed,
    items: list[FeedItem],
    *,
    backfill: int,
    report: PollReport,
    finish: Finish,
) -> None:
    ordered = _chronological(items)
    # On the first poll only the newest `backfill` entries are published; the rest are history.
    publish_from = max(len(ordered) - backfill, 0) if not feed.first_poll_done else 0
    pairs: list[Entry] = []
    seen: set[str] = set()
    for index, item in enumerate(ordered):
        if item.entry_id in seen:  # the same entry twice in one document
            continue
        seen.add(item.entry_id)
        try:
            parsed: ParsedIssue | None = parse_issue(item)
        except Exception as exc:  # a parser bug must not lose the other entries of the feed
            log.exception("cannot split entry %s of %s", item.entry_id, feed.url)
            report.skip(item.entry_id, f"cannot split the entry: {exc}")
            parsed = None
        if parsed is not None:
            pairs.append((item, parsed, index >= publish_from))
    await store_entries(db, feed.url, pairs, report, finish)


async def store_entries(
    db: Database,
    url: str,
    entries: Sequence[Entry],
    report: PollReport,
    finish: Finish,
) -> None:
    """Upsert (item, parsed, publish) entries of the feed at `url` in short transactions;
    one the database refuses is skipped (with its reason) and the rest stored; `finish` runs in
    the last transaction (a small feed is one transaction in all).

    A batch is stored set-based (storage.issues.upsert_issues: a few statements for all its
    entries), sized from the last one's time so that each holds its locks (SQLite: the
    database's one write lock) for at most about BATCH_SECONDS (next_batch_size). Only when
    the database refuses an entry is the batch rolled back and run again entry by entry, each
    in a savepoint."""
    limit = BATCH_SECONDS.get(db.dialect, 0.1)
    start, size = 0, FIRST_BATCH
    careful_at = -1
    while True:

        async def batch(
            session: AsyncSession,
            first: int = start,
            count: int = size,
            careful: bool = start == careful_at,
        ) -> tuple[int, float]:
            feed = await get_or_create_feed(session, url=url)
            await lock_feed(session, feed)
            began = time.monotonic()
            done = await _store_batch(
                session, feed, entries[first : first + count], report, careful, limit
            )
            if first + done >= len(entries):
                await session.refresh(feed)
                await finish(session, feed)
            return done, began

        try:
            done, began = await _transaction(db, url, batch)
        except _Refused:
            careful_at = start
            continue
        start += done
        if start >= len(entries):
            return
        if start - done != careful_at:
            size = next_batch_size(size, time.monotonic() - began, limit)


def next_batch_size(size: int, took: float, limit: float) -> int:
    """Entries in the next transaction after one of `size` held its locks `took` seconds:
    twice as many while under half of `limit`, fewer in proportion when over it. (Scaling
    to the time alone would shrink batches to one entry on a loaded machine, where a
    transaction's fixed cost, its round trips, is itself near half of `limit`.)"""
    if took <= limit / 2:
        return min(size * 2, MAX_BATCH)
    if took > limit:
        return max(1, int(size * limit / 2 / took))
    return size


class _Refused(Exception):
    """The database refused an entry of a batch stored without savepoints: redo it carefully."""


async def _store_batch(
    session: AsyncSession,
    feed: Feed,
    entries: Sequence[Entry],
    report: PollReport,
    careful: bool,
    limit: float,
) -> int:
    """Store `entries` (a batch); returns how many it handled.

    `careful`: each entry in a savepoint, one the database refuses skipped with its reason, for
    at most `limit` seconds (the rest go to the next batch).

    Counting goes to a scratch report merged only on success, so a retried batch (the
    transaction met a lock) does not count its entries twice."""
    assert feed.id is not None
    scratch = PollReport()
    if not careful:
        try:
            changes = await upsert_issues(session, feed_id=feed.id, entries=entries)
        except sa.exc.OperationalError:
            raise  # a lock or a lost connection: the whole batch is tried again
        except (sa.exc.DBAPIError, ValueError, OverflowError) as exc:
            raise _Refused from exc
        for (_, parsed, _), change in zip(entries, changes, strict=True):
            scratch.unplaced += len(parsed.unplaced)
            _count(scratch, change)
        report.merge(scratch)
        return len(entries)
    began = time.monotonic()
    index = 0
    while index < len(entries) and (index == 0 or time.monotonic() - began < limit):
        item, parsed, publish = entries[index]
        index += 1
        try:
            async with session.begin_nested():
                change = await upsert_issue(
                    session, feed_id=feed.id, item=item, parsed=parsed, publish=publish
                )
        except sa.exc.OperationalError:
            raise
        except (sa.exc.DBAPIError, ValueError, OverflowError) as exc:
            reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
            log.warning("skipping entry %s of %s: %s", item.entry_id, feed.url, reason)
            scratch.skip(item.entry_id, reason)
            continue
        scratch.unplaced += len(parsed.unplaced)
        _count(scratch, change)
    report.merge(scratch)
    return index


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

    A feed is recognised by parsing (feedparser names its version), whatever precedes its root
    element (a comment, a DOCTYPE, a BOM, UTF-16); anything else is one issue (a saved HTML
    page, Markdown or plain text: feeds.issue.parse_source). Markup that is neither a feed nor an
    HTML page, and a feed cut beyond recovery, are refused (`report.error`, one line), never
    stored as text. The file's URI is the feed URL (and, for one issue, the entry id), so
    ingesting the same file again only reports it unchanged, or updated when its text changed.
    `number`/`title` name an issue whose text does not say which issue it is.
    """
    body = await asyncio.to_thread(path.read_bytes)
    uri = (await asyncio.to_thread(path.resolve)).as_uri()
    report = PollReport(url=uri)
    try:
        feed_title, pairs = await asyncio.to_thread(
            parse_source, body, uri=uri, title=title, number=number
        )
    except FeedParseError as exc:
        report.error = f"{path.name}: " + " ".join(str(exc).split())
        return report
    entries = [(item, parsed, publish) for item, parsed in pairs]
    finish = _success(
        etag=None,
        last_modified=None,
        content_hash=None,
        title=feed_title,
        report=report,
        first_poll_done=True,
    )
    await store_entries(db, uri, entries, report, finish)
    return report

"""storage.issues and storage.feeds: idempotent entries, updates in place, feed bookkeeping."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from feeds.types import FeedItem, Opinion, ParsedIssue, ParsedSummary
from storage.db import Database
from storage.feeds import (
    get_or_create_feed,
    list_active_feeds,
    record_poll_failure,
    record_poll_success,
)
from storage.issues import (
    find_summary_by_title,
    find_summary_by_title_on,
    get_issue_by_number,
    get_issue_by_number_on,
    issue_number_range,
    issue_number_range_on,
    latest_issues,
    latest_issues_on,
    summaries_of,
    summaries_of_on,
    summary_counts_on,
    upsert_issue,
)
from storage.summaries import cross_ref_targets, cross_ref_targets_on
from storage.threads import (
    discussion_sizes,
    discussion_sizes_on,
    threads_for_issues,
    threads_for_issues_on,
    threads_for_summaries,
    threads_for_summaries_on,
)


def _issue(number: int, *texts: str) -> tuple[FeedItem, ParsedIssue]:
    summaries = [
        ParsedSummary(
            title=f"Paper {i}: {text}",
            section_path=("Technical AI alignment", "Learning human intent"),
            authors="A. Author",
            summarizer="Cody" if i == 0 else None,
            summary=text,
            opinions=[Opinion(by="Rohin", text=f"opinion on {text}")],
        )
        for i, text in enumerate(texts)
    ]
    parsed = ParsedIssue(
        title=f"[AN #{number}] Issue", link=None, number=number, label=f"AN #{number}",
        summaries=summaries, layout="an",
    )  # fmt: skip
    html = "".join(f"<p>{t}</p>" for t in texts)
    item = FeedItem(f"guid-{number}", parsed.title, f"https://x.org/{number}", None, None, html)
    return item, parsed


async def test_new_unchanged_updated(db: Database) -> None:
    item, parsed = _issue(56, "first", "second")
    async with db.session() as session:
        feed = await get_or_create_feed(session, url="https://x.org/feed")
        fid = feed.id or 0
        new = await upsert_issue(session, feed_id=fid, item=item, parsed=parsed, publish=True)
        await session.commit()
    assert new.is_new and new.issue.publish and len(new.summaries) == 2
    assert [s.position for s in new.summaries] == [0, 1]
    hashes = [s.content_hash for s in new.summaries]
    ids = [s.id for s in new.summaries]

    async with db.session() as session:
        same = await upsert_issue(session, feed_id=fid, item=item, parsed=parsed, publish=False)
        await session.commit()
    assert same.kind == "unchanged" and [s.id for s in same.summaries] == ids

    edited_item, edited = _issue(56, "first", "second, corrected")
    edited.summaries[1] = dataclasses.replace(edited.summaries[1], title=parsed.summaries[1].title)
    async with db.session() as session:
        upd = await upsert_issue(
            session, feed_id=fid, item=edited_item, parsed=edited, publish=False
        )
        await session.commit()
    assert upd.is_updated and upd.issue.publish  # publish never flips on update
    assert [s.id for s in upd.summaries] == ids  # updated in place
    assert [s.id for s in upd.changed] == [ids[1]]
    assert upd.summaries[0].content_hash == hashes[0]
    assert upd.summaries[1].content_hash != hashes[1]
    assert upd.summaries[1].summary == "second, corrected"


async def test_lookups(db: Database) -> None:
    async with db.session() as session:
        feed = await get_or_create_feed(session, url="https://x.org/feed")
        for number in (3, 7, 5):
            item, parsed = _issue(number, f"text {number}", "Same title twice")
            parsed.summaries.append(dataclasses.replace(parsed.summaries[-1]))
            await upsert_issue(
                session, feed_id=feed.id or 0, item=item, parsed=parsed, publish=True
            )
        await session.commit()
        assert await issue_number_range(session) == (3, 7)
        assert [i.number for i in await latest_issues(session, 2)] == [7, 5]
        seven = await get_issue_by_number(session, 7)
        assert seven is not None and seven.label == "AN #7"
        assert await get_issue_by_number(session, 99) is None
        summaries = await summaries_of(session, seven.id or 0)
        assert len(summaries) == 3  # a repeated title becomes its own row
        assert summaries[2].dedupe_key.endswith(" #2")
        found = await find_summary_by_title(session, "paper 0: text 5", limit=5)
        assert [s.title for s in found] == ["Paper 0: text 5"]
        assert len(await find_summary_by_title(session, "text", limit=2)) == 2
        assert await find_summary_by_title(session, "100%_", limit=5) == []


async def test_empty_range(db: Database) -> None:
    async with db.session() as session:
        assert await issue_number_range(session) is None
        assert await latest_issues(session, 3) == []


async def test_feed_failures_disable_after_n(db: Database) -> None:
    async with db.session() as session:
        feed = await get_or_create_feed(session, url="https://x.org/broken")
        again = await get_or_create_feed(session, url="https://x.org/broken")
        assert again.id == feed.id
        assert not await record_poll_failure(session, feed, error="timeout", max_failures=3)
        await record_poll_success(session, feed, etag='"e1"', last_modified=None, content_hash="h")
        assert feed.consecutive_failures == 0 and feed.etag == '"e1"'
        results = [
            await record_poll_failure(session, feed, error=f"HTTP 500 #{i}", max_failures=3)
            for i in range(4)
        ]
        await session.commit()
        assert results == [False, False, True, False]
        assert feed.disabled and feed.last_error == "HTTP 500 #3"
        assert feed.disabled_reason and "3 failures in a row" in feed.disabled_reason
        assert await list_active_feeds(session) == []

        # A permanent-looking error counts like the others (issue 12): not disabled at once.
        gone = await get_or_create_feed(session, url="https://x.org/gone")
        assert not await record_poll_failure(
            session, gone, error="HTTP 410", max_failures=2, permanent=True
        )
        assert gone.last_error_permanent and not gone.disabled
        assert await record_poll_failure(
            session, gone, error="HTTP 410", max_failures=2, permanent=True
        )


async def test_upsert_issues_set_based_agrees_with_one_by_one(db: Database) -> None:
    """One call with new, updated, unchanged entries, one adopting a database-only issue, and an
    entry id given twice: the same outcome as saving them one at a time."""
    from sqlmodel import func, select

    from storage.issues import upsert_issues
    from storage.models import Issue, Summary

    updated_item, updated = _issue(2, "before")
    same_item, same = _issue(3, "kept")
    async with db.session() as session:
        feed = await get_or_create_feed(session, url="https://x.org/feed")
        fid = feed.id or 0
        for item, parsed in ((updated_item, updated), (same_item, same)):
            await upsert_issue(session, feed_id=fid, item=item, parsed=parsed, publish=True)
        old = Issue(number=77, label="AN #77", layout="database", title="AN #77")
        session.add(old)
        await session.flush()
        adopted_item, adopted = _issue(77, "from the feed")
        known = Summary(
            issue_id=old.id, dedupe_key="paper 0 from the feed", title="Paper 0: from the feed"
        )
        session.add(known)
        await session.commit()
    new_item, new = _issue(1, "new")
    again_item, again = _issue(1, "new, edited")
    again.summaries[0] = dataclasses.replace(again.summaries[0], title=new.summaries[0].title)
    edited_item, edited = _issue(2, "after")
    edited.summaries[0] = dataclasses.replace(edited.summaries[0], title=updated.summaries[0].title)
    entries = [
        (new_item, new, True),
        (edited_item, edited, False),
        (same_item, same, False),
        (adopted_item, adopted, False),
        (again_item, again, False),
    ]
    async with db.session() as session:
        changes = await upsert_issues(session, feed_id=fid, entries=entries)
        await session.commit()
    assert [c.kind for c in changes] == ["new", "updated", "unchanged", "new", "updated"]
    assert changes[0].issue.publish and changes[0].issue.id == changes[4].issue.id
    assert [s.summary for s in changes[4].summaries] == ["new, edited"]
    assert changes[3].issue.id == old.id and changes[3].issue.feed_id == fid
    assert [s.id for s in changes[3].summaries] == [known.id]  # matched, not added again
    assert [s.summary for s in changes[1].summaries] == ["after"]
    assert all(s.id is not None for c in changes for s in c.summaries)
    async with db.session() as session:
        issues = (await session.exec(select(func.count()).select_from(Issue))).one()
        summaries = (await session.exec(select(func.count()).select_from(Summary))).one()
    assert (issues, summaries) == (4, 4)


def test_batches_grow_while_short_and_shrink_when_long() -> None:
    from storage.ingest import MAX_BATCH, next_batch_size

    assert next_batch_size(20, 0.01, 0.25) == 40  # a loaded machine's fixed cost: still grows
    assert next_batch_size(40, 0.2, 0.25) == 40
    assert next_batch_size(400, 1.0, 0.25) == 50
    assert next_batch_size(1, 5.0, 0.25) == 1
    assert next_batch_size(MAX_BATCH, 0.0, 0.25) == MAX_BATCH


async def test_one_unit_reads_answer_what_the_session_reads_answer(db: Database) -> None:
    """The `_on` twins (a command's reads as one Database.run_sync unit) run the very
    queries of their async twins: same rows, same order, same empty answers."""
    async with db.session() as session:
        feed = await get_or_create_feed(session, url="https://x.org/feed")
        for number in (3, 7, 5):
            item, parsed = _issue(number, f"text {number}", "Same title twice")
            await upsert_issue(
                session, feed_id=feed.id or 0, item=item, parsed=parsed, publish=True
            )
        await session.commit()
        seven = await get_issue_by_number(session, 7)
        assert seven is not None and seven.id is not None
        summaries = await summaries_of(session, seven.id)
        ids = [s.id or 0 for s in summaries]
        titles = [s.title for s in summaries] + ["no such title"]
        via_session = (
            await issue_number_range(session),
            [i.id for i in await latest_issues(session, 2)],
            seven.id,
            (await get_issue_by_number(session, 99)),
            [s.id for s in summaries],
            [s.id for s in await find_summary_by_title(session, "text", limit=5)],
            await threads_for_summaries(session, ids),
            await threads_for_issues(session, [seven.id]),
            await cross_ref_targets(session, titles),
            await discussion_sizes(session, [1, 2]),
        )

    def unit(connection: sa.Connection) -> tuple[Any, ...]:
        with Session(bind=connection) as sync:
            found = get_issue_by_number_on(sync, 7)
            return (
                issue_number_range_on(sync),
                [i.id for i in latest_issues_on(sync, 2)],
                found.id if found else None,
                get_issue_by_number_on(sync, 99),
                [s.id for s in summaries_of_on(sync, seven.id or 0)],
                [s.id for s in find_summary_by_title_on(sync, "text", limit=5)],
                threads_for_summaries_on(connection, ids),
                threads_for_issues_on(connection, [seven.id or 0]),
                cross_ref_targets_on(connection, titles),
                discussion_sizes_on(connection, [1, 2]),
            ), summary_counts_on(sync, [seven.id or 0, 999])

    in_one_unit, counts = await db.run_sync(unit, snapshot=False)
    assert in_one_unit == via_session
    assert via_session[8]  # the titles were found: the comparison compared something
    assert counts == {seven.id: len(summaries)}

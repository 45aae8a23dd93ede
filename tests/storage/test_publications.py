"""storage.publications: the outbox on both backends."""

from __future__ import annotations

from datetime import UTC, datetime

from feeds.types import FeedItem, Opinion, ParsedIssue, ParsedSummary
from storage import publications as pubs
from storage.db import Database
from storage.feeds import get_or_create_feed
from storage.issues import upsert_issue

FORUM, TEXT = 111, 222


def _parsed(n: int, titles: list[str], text: str = "body") -> tuple[FeedItem, ParsedIssue]:
    item = FeedItem(
        entry_id=f"entry-{n}",
        title=f"Alignment Newsletter #{n}",
        link=f"https://example.org/{n}",
        published=datetime(2019, 5, n % 28 + 1, tzinfo=UTC),
        updated=None,
        content_html=f"<p>{text} {titles}</p>",
    )
    summaries = [
        ParsedSummary(
            title=t,
            section_path=("Technical AI alignment",),
            summary=f"{t}: {text}",
            opinions=[Opinion("Rohin", "ok")],
        )
        for t in titles
    ]
    return item, ParsedIssue(item.title, item.link, n, f"AN #{n}", summaries, "an")


async def _store(
    db: Database, n: int, titles: list[str], *, publish: bool = True, text: str = "body"
) -> int:
    item, parsed = _parsed(n, titles, text)
    async with db.session() as s:
        feed = await get_or_create_feed(s, url="https://example.org/feed")
        change = await upsert_issue(
            s, feed_id=feed.id or 0, item=item, parsed=parsed, publish=publish
        )
        await s.commit()
        return change.issue.id or 0


async def test_enqueue_is_idempotent_and_skips_unpublished(db: Database) -> None:
    await _store(db, 56, ["A", "B", "C"])
    await _store(db, 55, ["old"], publish=False)
    async with db.session() as s:
        assert await pubs.enqueue_pending(s, channels=[(FORUM, "forum")]) == 3
        assert await pubs.enqueue_pending(s, channels=[(FORUM, "forum")]) == 0
        await s.commit()
        rows = await pubs.list_publications(s)
    assert [r.status for r in rows] == ["pending"] * 3
    assert len({r.marker for r in rows}) == 3


async def test_claim_post_and_thread_mode_ordering(db: Database) -> None:
    issue_id = await _store(db, 56, ["A", "B"])
    async with db.session() as s:
        assert await pubs.enqueue_pending(s, channels=[(TEXT, "thread")]) == 3
        await s.commit()
        first = await pubs.claim_next(s)
        await s.commit()
        assert first is not None and first.summary_id is None and first.status == "posting"
        assert first.attempts == 1
        # The summaries wait for their issue's thread.
        assert await pubs.claim_next(s) is None
        await pubs.mark_posted(
            s, publication_id=first.id or 0, thread_id=900, starter_message_id=900, posted_hash="h"
        )
        await s.commit()
        second = await pubs.claim_next(s)
        assert second is not None and second.thread_id == 900 and second.summary_id is not None
        assert await pubs.posting_rows(s) == [second]
        assert await pubs.thread_for_label(s, label="AN #56") == (TEXT, 900)
        assert await pubs.thread_for_issue_number(s, number=56) == (TEXT, 900)
        assert await pubs.thread_for_label(s, label="AN #45") is None
    assert issue_id


async def test_failure_cascades_in_thread_mode_and_reports_once(db: Database) -> None:
    await _store(db, 56, ["A", "B"])
    async with db.session() as s:
        await pubs.enqueue_pending(s, channels=[(TEXT, "thread")])
        head = await pubs.claim_next(s)
        assert head is not None
        await pubs.mark_failed(s, publication_id=head.id or 0, error="Forbidden 403")
        await s.commit()
        assert await pubs.status_counts(s) == {"failed": 3}
        failed = await pubs.unreported_failures(s)
        assert len(failed) == 3
        assert not await pubs.already_reported(s, channel_id=TEXT, error="Forbidden 403")
        await pubs.mark_reported(s, publication_ids=[head.id or 0])
        await s.commit()
        assert await pubs.already_reported(s, channel_id=TEXT, error="Forbidden 403")


async def test_changed_summary_needs_edit(db: Database) -> None:
    await _store(db, 56, ["A"])
    async with db.session() as s:
        await pubs.enqueue_pending(s, channels=[(FORUM, "forum")])
        pub = await pubs.claim_next(s)
        assert pub is not None
        target = await pubs.load_target(s, publication=pub)
        await pubs.mark_posted(
            s,
            publication_id=pub.id or 0,
            thread_id=5,
            starter_message_id=5,
            posted_hash=pubs.source_hash(target),
        )
        await s.commit()
        assert await pubs.rows_needing_edit(s) == []
    await _store(db, 56, ["A"], text="corrected body")
    async with db.session() as s:
        [target] = await pubs.rows_needing_edit(s)
        assert target.summary is not None and "corrected" in target.summary.summary
        await pubs.mark_edited(s, publication_id=pub.id or 0, posted_hash=pubs.source_hash(target))
        await s.commit()
        assert await pubs.rows_needing_edit(s) == []
        # The edit adds no row.
        assert await pubs.enqueue_pending(s, channels=[(FORUM, "forum")]) == 0


async def test_release_puts_a_row_back_in_line(db: Database) -> None:
    await _store(db, 56, ["A", "B"])
    async with db.session() as s:
        await pubs.enqueue_pending(s, channels=[(FORUM, "forum")])
        a = await pubs.claim_next(s)
        assert a is not None
        await pubs.release(s, publication_id=a.id or 0, error="503")
        await s.commit()
        again = await pubs.claim_next(s)
        assert again is not None and again.id == a.id and again.attempts == 2


async def test_a_summary_is_referenced_at_its_own_post_before_its_issue_thread(
    db: Database,
) -> None:
    from sqlmodel import select

    from storage.models import Summary
    from storage.summaries import cross_ref_targets, label_targets

    await _store(db, 56, ["A", "B"])
    async with db.session() as s:
        await pubs.enqueue_pending(s, channels=[(TEXT, "thread")])
        await s.commit()
        for thread_id, starter in ((900, 900), (900, 901)):  # the issue's thread, A's message
            row = await pubs.claim_next(s)
            assert row is not None
            await pubs.mark_posted(
                s,
                publication_id=row.id or 0,
                thread_id=thread_id,
                starter_message_id=starter,
                posted_hash="h",
            )
            await s.commit()
        # In thread mode A is discussed at its message in the issue's thread; B is not posted.
        a = (await cross_ref_targets(s, ["A"]))["a"]
        assert (a.thread_id, a.message_id) == (900, 901)
        b = (await cross_ref_targets(s, ["B"]))["b"]
        assert b.thread_id is None
        # A member opens A's own post: references now point there, not at the issue's thread.
        summary_a = (await s.exec(select(Summary).where(Summary.title == "A"))).one()
        own = await pubs.open_discussion(s, channel_id=FORUM, summary=summary_a)
        await s.commit()
        assert await pubs.claim(s, publication_id=own.id or 0) is not None
        await pubs.mark_posted(
            s, publication_id=own.id or 0, thread_id=950, starter_message_id=950, posted_hash="h"
        )
        await s.commit()
        a = (await cross_ref_targets(s, ["A"]))["a"]
        assert (a.thread_id, a.message_id) == (950, None)
        named = await label_targets(s, ["AN #56", "AN #45"])
        assert [(t, target.thread_id) for t, _link, target in named["AN #56"]] == [
            ("A", 950),
            ("B", None),
        ]
        assert "AN #45" not in named
        # The issue's own thread is still the issue's (not A's post).
        assert await pubs.thread_for_label(s, label="AN #56") == (TEXT, 900)

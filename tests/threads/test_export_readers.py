"""What a reader sees in an export: the bot's split post first and in order, counts that
leave it out, no tombstone without live replies, no internal marker, the after/before window."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.threads.helpers import json_comments
from threads.export import export
from threads.model import CommentRecord, ThreadInfo

BASE = datetime(2026, 11, 1, tzinfo=UTC)
INFO = ThreadInfo(id=1000, title="AN #56 · HARK Side of Deep Learning")


def _row(cid: int, minutes: int, text: str | None, **kw: object) -> CommentRecord:
    values: dict[str, object] = {
        "id": cid,
        "parent_id": None,
        "author_id": None if text is None else 7,
        "author_name": None if text is None else "alice",
        "content": text,
        "created_at": BASE + timedelta(minutes=minutes),
        "deleted": text is None,
    }
    values.update(kw)
    return CommentRecord(**values)  # type: ignore[arg-type]


def _thread() -> list[CommentRecord]:
    starter = dict(author_id=1, author_name="anbot", is_starter=True)
    return [
        _row(1000, 0, "**[HARK Side](<https://x>)** part 1\n-# anbot:pub:5.1.1", **starter),
        _row(1001, 0, "part 2", **starter),
        _row(1002, 0, "part 3 of <@reward modeling@>(@Scalable agent alignment@)", **starter),
        _row(1010, 10, "first comment"),
        _row(1011, 20, None),  # deleted, a live reply below
        _row(1012, 30, "a live reply to a deleted comment", parent_id=1011),
        _row(1013, 40, None),  # deleted, nothing below
        _row(1014, 50, "late comment"),
    ]


def _json(**kw: object) -> dict[str, object]:
    return json.loads("".join(export("json", INFO, _thread(), **kw)))  # type: ignore[arg-type]


def test_sort_new_keeps_the_split_starter_first_and_in_order() -> None:
    ids = [c["id"] for c in json_comments(_json(order="new"))]  # type: ignore[arg-type]
    assert ids[:3] == ["1000", "1001", "1002"]
    assert ids[3:] == ["1014", "1011", "1012", "1010"]
    markdown = "".join(export("markdown", INFO, _thread(), order="new"))
    assert markdown.index("part 1") < markdown.index("part 2") < markdown.index("part 3")


def test_counts_leave_out_the_bots_post_and_empty_tombstones() -> None:
    document = _json(since=BASE - timedelta(days=1))
    # Live comments 1010, 1012, 1014 and the tombstone 1011 holding a live reply.
    assert document["comment_count"] == 4
    assert document["new_count"] == 3  # the starter is not new, a tombstone has nothing new
    markdown = "".join(export("markdown", INFO, _thread(), since=BASE - timedelta(days=1)))
    assert "4 comments" in markdown and "3 new since" in markdown
    assert "id 1013" not in markdown and "id 1011" in markdown


def test_no_export_shows_the_old_publication_marker_or_raw_cross_references() -> None:
    for fmt in ("markdown", "json", "jsonl", "html", "csv"):
        text = "".join(export(fmt, INFO, _thread()))  # type: ignore[arg-type]
        assert "anbot:pub" not in text, fmt
        assert "<@" not in text and "&lt;@" not in text and "(@" not in text, fmt
        assert "reward modeling" in text, fmt


def test_after_and_before_keep_only_that_window_and_the_post() -> None:
    document = _json(after=BASE + timedelta(minutes=15), before=BASE + timedelta(minutes=45))
    ids = [c["id"] for c in json_comments(document)]  # type: ignore[arg-type]
    assert ids == ["1000", "1001", "1002", "1011", "1012"]
    markdown = "".join(
        export(
            "markdown",
            INFO,
            _thread(),
            after=BASE + timedelta(minutes=15),
            before=BASE + timedelta(minutes=45),
            since=BASE + timedelta(minutes=25),
        )
    )
    assert "written after" in markdown and "written before" in markdown
    assert "1 new since" in markdown  # the marking stays beside the filter


def test_html_export_renders_the_posts_markdown_instead_of_showing_it() -> None:
    rows = _thread()
    rows[1] = _row(1001, 0, "-# AN #56 · Highlights", author_id=1, author_name="b", is_starter=True)
    html = "".join(export("html", INFO, rows))
    assert (
        '<strong><a href="https://x" rel="nofollow noopener noreferrer">HARK Side</a></strong>'
        in html
    )
    assert '<p class="subtext">AN #56 · Highlights</p>' in html
    assert "**" not in html and "-#" not in html


def test_html_shows_no_comment_ids_to_readers() -> None:
    """Permalinks and "reply to" links are anchors: their visible text is words, not the
    comments' 19-digit Discord ids (ids stay in the anchors' href and id attributes)."""
    import re

    from threads.export._common import MAX_VISUAL_DEPTH

    rows = [_row(1_577_000_000_000_000_000, 0, "root", author_name="root author")]
    for depth in range(1, MAX_VISUAL_DEPTH + 3):
        rows.append(
            _row(
                rows[-1].id + 1,
                depth,
                f"reply {depth}",
                parent_id=rows[-1].id,
                author_name=f"author {depth}",
            )
        )
    page = "".join(export("html", INFO, rows))
    visible = re.sub(r"<[^>]*>", " ", page)
    assert not re.search(r"\d{12,}", visible)
    assert f'href="#c{rows[-1].id}"' in page  # the permalink is still there
    deep = MAX_VISUAL_DEPTH + 2
    assert f"↪ reply to author {deep - 1}" in visible

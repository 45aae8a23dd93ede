"""The discussion size shown by search hits and /an summary ("12 comments, last 2 days ago")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.commands.lookup import discussion_size

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def test_sizes_read_naturally() -> None:
    assert discussion_size((12, NOW - timedelta(days=2, hours=3)), NOW) == (
        "12 comments, last 2 days ago"
    )
    assert discussion_size((1, NOW - timedelta(hours=1)), NOW) == "1 comment, last 1 hour ago"
    assert discussion_size((3, NOW - timedelta(seconds=20)), NOW) == "3 comments, last just now"
    assert discussion_size((2, None), NOW) == "2 comments"


def test_no_replies_no_line() -> None:
    assert discussion_size(None, NOW) == ""
    assert discussion_size((0, NOW), NOW) == ""

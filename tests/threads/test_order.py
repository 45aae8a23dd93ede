"""threads.order: the old / new / top orders of walk() and marking comments new since a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from threads.model import CommentRecord
from threads.order import NewCounts, mark_new
from threads.tree import build_tree, walk

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def rec(cid: int, parent: int | None, minute: int, score: int = 0, **kw: object) -> CommentRecord:
    return CommentRecord(
        id=cid,
        parent_id=parent,
        author_id=1,
        author_name="a",
        content="x",
        created_at=T0 + timedelta(minutes=minute),
        score=score,
        **kw,  # type: ignore[arg-type]
    )


ROWS = [
    rec(1, None, 0, is_starter=True),
    rec(2, None, 5, score=1),
    rec(3, None, 3, score=7),
    rec(4, None, 9, score=7),
    rec(5, 3, 10, score=0),
    rec(6, 3, 4, score=2),
]


def ids(order: str) -> list[int]:
    return [n.record.id for n in walk(build_tree(ROWS), order)]  # type: ignore[arg-type]


def test_old_is_created_ascending_starter_first() -> None:
    assert ids("old") == [1, 3, 6, 5, 2, 4]


def test_new_is_created_descending_starter_still_first() -> None:
    assert ids("new") == [1, 4, 2, 3, 5, 6]


def test_top_is_score_descending_then_oldest_starter_first() -> None:
    assert ids("top") == [1, 3, 6, 5, 4, 2]


def test_ties_fall_back_to_id() -> None:
    rows = [rec(9, None, 1), rec(8, None, 1), rec(7, None, 1)]
    assert [n.record.id for n in walk(build_tree(rows), "old")] == [7, 8, 9]
    assert [n.record.id for n in walk(build_tree(rows), "new")] == [9, 8, 7]


def test_mark_new_created_after_since_and_edited_since() -> None:
    rows = [
        rec(1, None, 0),
        rec(2, 1, 10, edited_at=T0 + timedelta(minutes=30)),  # old text edited after visit
        rec(3, 1, 20),  # exactly at the visit: not new
        rec(4, 3, 25),  # new
        rec(5, 3, 26, edited_at=T0 + timedelta(minutes=40)),  # new (and edited): only new
        CommentRecord(6, 1, None, None, None, T0 + timedelta(minutes=27), deleted=True),
    ]
    roots = build_tree(rows)
    counts = mark_new(roots, T0 + timedelta(minutes=20))
    flags = {n.record.id: (n.is_new, n.edited_since) for n in walk(roots)}
    assert counts == NewCounts(new=2, edited=1)
    assert flags == {
        1: (False, False),
        2: (False, True),
        3: (False, False),
        4: (True, False),
        5: (True, False),
        6: (False, False),  # tombstones have nothing new to read
    }


def test_mark_new_takes_naive_since_as_utc() -> None:
    roots = build_tree([rec(1, None, 0), rec(2, None, 10)])
    assert mark_new(roots, datetime(2024, 5, 1, 12, 5)) == NewCounts(new=1, edited=0)

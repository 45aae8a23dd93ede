"""threads.tree.build_tree and walk: nesting, orphans, cycles, duplicates, very deep chains."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from threads.model import CommentNode, CommentRecord
from threads.order import UnknownOrderError
from threads.tree import DuplicateCommentError, build_tree, count_nodes, walk, walk_with_parent

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def rec(cid: int, parent: int | None, minute: int | None = None, **kw: object) -> CommentRecord:
    return CommentRecord(
        id=cid,
        parent_id=parent,
        author_id=1,
        author_name=f"u{cid}",
        content=f"c{cid}",
        created_at=T0 + timedelta(minutes=cid if minute is None else minute),
        **kw,  # type: ignore[arg-type]
    )


def shape(roots: list[CommentNode]) -> list[tuple[int, int | None, int]]:
    return [
        (n.record.id, None if p is None else p.record.id, n.depth)
        for n, p in walk_with_parent(roots)
    ]


def test_replies_nest_under_parents_whatever_the_input_order() -> None:
    rows = [rec(4, 2), rec(3, 1), rec(2, 1), rec(1, None), rec(5, None)]
    assert shape(build_tree(rows)) == [(1, None, 0), (2, 1, 1), (4, 2, 2), (3, 1, 1), (5, None, 0)]


def test_missing_parent_puts_the_comment_at_root_level() -> None:
    roots = build_tree([rec(1, None), rec(2, 999), rec(3, 2)])
    assert shape(roots) == [(1, None, 0), (2, None, 0), (3, 2, 1)]


def test_self_parent_is_a_root() -> None:
    assert shape(build_tree([rec(1, 1), rec(2, 1)])) == [(1, None, 0), (2, 1, 1)]


def test_cycle_is_cut_at_its_smallest_id() -> None:
    # parent links 5 → 4 → 3 → 5 loop; 6 replies to 4; 3 (smallest id) becomes the root.
    roots = build_tree([rec(5, 4), rec(4, 3), rec(3, 5), rec(6, 4)])
    assert shape(roots) == [(3, None, 0), (4, 3, 1), (5, 4, 2), (6, 4, 2)]


def test_two_node_cycle_and_orphan_chain() -> None:
    rows = [rec(10, 11), rec(11, 10), rec(20, 404), rec(21, 20), rec(22, 21)]
    assert shape(build_tree(rows)) == [
        (10, None, 0),
        (11, 10, 1),
        (20, None, 0),
        (21, 20, 1),
        (22, 21, 2),
    ]


def test_duplicate_ids_are_refused_with_the_id() -> None:
    with pytest.raises(DuplicateCommentError, match="comment id 2 appears more than once"):
        build_tree([rec(1, None), rec(2, 1), rec(2, None)])


def test_empty_input_gives_no_roots() -> None:
    assert build_tree([]) == []
    assert list(walk([])) == []


def test_a_100k_deep_chain_builds_and_walks_without_recursion() -> None:
    n = 100_000
    rows = [rec(i, i - 1 if i > 1 else None, minute=i) for i in range(n, 0, -1)]
    roots = build_tree(rows)
    depths = [node.depth for node in walk(roots)]
    assert depths == list(range(n))
    assert count_nodes(roots) == n


def test_walk_refuses_an_unknown_order_at_the_call() -> None:
    with pytest.raises(UnknownOrderError, match="choose one of old, new, top"):
        walk([], "best")  # type: ignore[arg-type]

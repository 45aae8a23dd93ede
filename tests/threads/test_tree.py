"""threads.tree.build_tree and walk: nesting, orphans, cycles, duplicates, very deep chains."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.threads.strategies import records
from threads.model import CommentNode, CommentRecord
from threads.order import UnknownOrderError, record_old_key
from threads.tree import (
    DuplicateCommentError,
    _effective_parents,
    build_tree,
    count_nodes,
    walk,
    walk_with_parent,
)

T0 = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def rec(cid: int, parent: int | None, minute: int | None = None, **kw: object) -> CommentRecord:
    kw.setdefault("created_at", T0 + timedelta(minutes=cid if minute is None else minute))
    return CommentRecord(
        id=cid,
        parent_id=parent,
        author_id=1,
        author_name=f"u{cid}",
        content=f"c{cid}",
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


def reference_tree(rows: list[CommentRecord]) -> list[CommentNode]:
    """The forest as the documented repairs define it, step by step: every parent repaired
    first (_effective_parents), siblings sorted by record_old_key, starters first."""
    by_id = {row.id: row for row in rows}
    parent = _effective_parents(by_id)
    nodes = {cid: CommentNode(record=row) for cid, row in by_id.items()}
    roots: list[CommentNode] = []
    for row in sorted(rows, key=record_old_key):
        pid = parent[row.id]
        (roots if pid is None else nodes[pid].replies).append(nodes[row.id])
    for siblings in [roots, *(node.replies for node in nodes.values())]:
        siblings.sort(key=lambda node: (not node.record.is_starter, record_old_key(node.record)))
    stack = list(roots)
    while stack:
        node = stack.pop()
        for child in node.replies:
            child.depth = node.depth + 1
        stack.extend(node.replies)
    return roots


@settings(max_examples=300, deadline=None)
@given(records())
def test_build_tree_is_the_reference_forest_with_loops_and_broken_parents(
    rows: list[CommentRecord],
) -> None:
    # build_tree skips the loop repair when every comment is reachable from a root
    assert shape(build_tree(rows)) == shape(reference_tree(rows))


@st.composite
def time_ordered(draw: st.DrawFn) -> list[CommentRecord]:
    """Ids that grow with time, as snowflakes do, but for an optional few out of step; ties
    in time; aware times in two zones; parents anywhere (earlier, later, missing, loops)."""
    count = draw(st.integers(0, 25))
    ids = sorted(
        draw(st.lists(st.integers(100, 10**6), unique=True, min_size=count, max_size=count))
    )
    minutes = sorted(draw(st.lists(st.integers(0, 50), min_size=count, max_size=count)))
    if count and draw(st.booleans()):  # one comment's clock out of step
        i = draw(st.integers(0, count - 1))
        minutes[i] = draw(st.integers(0, 50))
    zone = timezone(timedelta(hours=2))
    rows = [
        rec(
            cid,
            draw(st.sampled_from([None, 7, cid, *ids])),
            created_at=(T0 + timedelta(minutes=m)).astimezone(zone if draw(st.booleans()) else UTC),
            is_starter=draw(st.booleans()) and i < 2,
        )
        for i, (cid, m) in enumerate(zip(ids, minutes, strict=True))
    ]
    return draw(st.permutations(rows))


@settings(max_examples=300, deadline=None)
@given(time_ordered())
def test_build_tree_orders_time_ordered_ids_like_the_reference(rows: list[CommentRecord]) -> None:
    # build_tree sorts by id alone when times never go back in id order
    assert shape(build_tree(rows)) == shape(reference_tree(rows))

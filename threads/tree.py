"""Flat comment rows → a forest of CommentNode, and iterative depth-first walks over it.

Everything here is iterative: a 100k-deep reply chain costs memory, never the recursion limit.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice, repeat
from operator import attrgetter, le

from threads.model import CommentNode, CommentRecord
from threads.order import Order, check_order, record_old_key, sort_siblings

_OLD_ATTRS = attrgetter("created_at", "id")
_ID = attrgetter("id")
_CREATED = attrgetter("created_at")


class DuplicateCommentError(ValueError):
    def __init__(self, comment_id: int) -> None:
        super().__init__(f"comment id {comment_id} appears more than once in the input rows")
        self.comment_id = comment_id


def _effective_parents(records: dict[int, CommentRecord]) -> dict[int, int | None]:
    """Parent id per comment after the repairs documented on build_tree."""
    parent: dict[int, int | None] = {}
    for cid, record in records.items():
        pid = record.parent_id
        parent[cid] = pid if pid is not None and pid != cid and pid in records else None

    # Parent links form a functional graph: each comment has at most one parent, so every
    # cycle is found by following links until reaching a comment already visited.
    ON_PATH, SETTLED = 1, 2
    state: dict[int, int] = {}
    for start in records:
        if start in state:
            continue
        path: list[int] = []
        current: int | None = start
        while current is not None and current not in state:
            state[current] = ON_PATH
            path.append(current)
            current = parent[current]
        if current is not None and state[current] == ON_PATH:
            cycle = path[path.index(current) :]
            parent[min(cycle)] = None  # the oldest snowflake of the cycle becomes a root
        for cid in path:
            state[cid] = SETTLED
    return parent


def build_tree(records: Iterable[CommentRecord]) -> list[CommentNode]:
    """The root nodes of the comment forest, each sibling list in "old" order.

    Parents are found by id, whatever the input order. Repairs, all deterministic:
    - a parent id that is not among the records (deleted upstream, outside the export, None)
      puts the comment at root level;
    - a comment that names itself as parent is a root;
    - a parent chain that loops (A→B→A) is cut at the comment with the smallest id, which
      becomes a root; the rest of the loop hangs below it.
    ``depth`` is 0 for roots and parent depth + 1 below. Duplicate ids raise
    DuplicateCommentError (two rows for one message is a caller bug, not something to guess).
    """
    with _gc_paused():
        by_id: dict[int, CommentRecord] = {}
        for record in records:
            if record.id in by_id:
                raise DuplicateCommentError(record.id)
            by_id[record.id] = record
        ordered = _in_old_order(list(by_id.values()))
        roots, reached = _assemble(ordered, None)
        if reached != len(ordered):  # some comments hang from a loop, unreachable from a root
            roots, reached = _assemble(ordered, _effective_parents(by_id))
        return roots


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a forest is built. The forest has no cycles
    (reference counting frees it), yet its 100k nodes and reply lists made the collector
    sweep every live object twice over: a third of the build's time. Left on if another
    caller turned it off meanwhile; never left off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _in_old_order(values: list[CommentRecord]) -> list[CommentRecord]:
    """The records in "old" order (time, then id), as record_old_key sorts them."""
    if not all(record.created_at.tzinfo is not None for record in values):
        return sorted(values, key=record_old_key)
    # Aware datetimes compare by instant, so the plain attributes sort exactly like
    # record_old_key, without a UTC conversion per row. Ids (snowflakes) mostly grow with
    # time: sorted by id alone with times that never go back is that same order, and
    # integers sort at half the cost of (time, id) pairs.
    by_id = sorted(values, key=_ID)
    times = list(map(_CREATED, by_id))
    if all(map(le, times, islice(times, 1, None))):
        return by_id
    return sorted(values, key=_OLD_ATTRS)


def _assemble(
    ordered: list[CommentRecord], parent: dict[int, int | None] | None
) -> tuple[list[CommentNode], int]:
    """(roots, how many nodes are reachable from them) with every node under its parent.

    `parent` is the repaired parent id of every comment (_effective_parents), or None to use
    each record's own parent_id, a missing or self parent making a root: that is the repaired
    forest whenever every node is reachable from a root (no parent loop).
    """
    nodes = {record.id: CommentNode(record=record) for record in ordered}
    roots: list[CommentNode] = []
    # Appending in "old" order leaves every sibling list in "old" order.
    for record in ordered:
        cid = record.id
        pid = record.parent_id if parent is None else parent[cid]
        above = None if pid is None or pid == cid else nodes.get(pid)
        (roots if above is None else above.replies).append(nodes[cid])

    # Starters first among their siblings, in their own creation order (a long post is split
    # over several messages): inserting the newest first leaves the oldest in front.
    starters = [record for record in ordered if record.is_starter]
    for record in reversed(starters):
        node = nodes[record.id]
        pid = record.parent_id if parent is None else parent[record.id]
        above = None if pid is None or pid == record.id else nodes.get(pid)
        siblings = roots if above is None else above.replies
        siblings.remove(node)
        siblings.insert(0, node)

    reached = len(roots)
    stack = list(roots)
    while stack:
        node = stack.pop()
        if node.replies:
            depth = node.depth + 1
            for child in node.replies:
                child.depth = depth
            reached += len(node.replies)
            stack.extend(node.replies)
    return roots, reached


def walk_with_parent(
    roots: Iterable[CommentNode], order: Order = "old"
) -> Iterator[tuple[CommentNode, CommentNode | None]]:
    """Depth-first pre-order (node, parent node or None), siblings in `order`.

    Reply lists are taken as build_tree leaves them ("old" order, starter first); roots are
    always sorted.

    A bad `order` raises UnknownOrderError here, at the call, not at the first item.
    """
    return _walk(roots, check_order(order))


def _walk(
    roots: Iterable[CommentNode], order: Order
) -> Iterator[tuple[CommentNode, CommentNode | None]]:
    stack: list[tuple[CommentNode, CommentNode | None]] = [
        (node, None) for node in reversed(sort_siblings(roots, order))
    ]
    # build_tree leaves every reply list in "old" order (starter first): no re-sort needed.
    resort = order != "old"
    while stack:
        node, parent = stack.pop()
        yield node, parent
        if node.replies:
            replies = sort_siblings(node.replies, order) if resort else node.replies
            stack.extend(zip(reversed(replies), repeat(node)))  # no Python frame per child


def walk(roots: Iterable[CommentNode], order: Order = "old") -> Iterator[CommentNode]:
    """Depth-first pre-order over every node, siblings in `order` (starter first)."""
    return (node for node, _parent in walk_with_parent(roots, order))


def prune_deleted(roots: list[CommentNode]) -> list[CommentNode]:
    """The forest without deleted comments that have no live reply anywhere below them.

    A tombstone only matters as the place its live replies hang from; one with nothing live
    below is an empty "[deleted]" line. Changes the nodes' reply lists in place; depths stay.
    """
    # Post-order by a reversed pre-order: every node is decided after all its replies.
    order: list[CommentNode] = []
    stack = list(roots)
    while stack:
        node = stack.pop()
        order.append(node)
        stack.extend(node.replies)
    dead: set[int] = set()
    for node in reversed(order):
        if node.replies and dead:
            node.replies = [child for child in node.replies if id(child) not in dead]
        if node.record.deleted and not node.replies:
            dead.add(id(node))
    return [node for node in roots if id(node) not in dead]


def count_nodes(roots: Iterable[CommentNode]) -> int:
    total = 0
    stack = list(roots)
    while stack:
        node = stack.pop()
        total += 1
        stack.extend(node.replies)
    return total

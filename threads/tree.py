"""Flat comment rows → a forest of CommentNode, and iterative depth-first walks over it.

Everything here is iterative: a 100k-deep reply chain costs memory, never the recursion limit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from operator import attrgetter

from threads.model import CommentNode, CommentRecord
from threads.order import Order, check_order, record_old_key, sort_siblings

_OLD_ATTRS = attrgetter("created_at", "id")


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
    by_id: dict[int, CommentRecord] = {}
    for record in records:
        if record.id in by_id:
            raise DuplicateCommentError(record.id)
        by_id[record.id] = record

    parent = _effective_parents(by_id)
    nodes = {cid: CommentNode(record=record) for cid, record in by_id.items()}
    roots: list[CommentNode] = []
    # One global sort instead of one per sibling list: appending in "old" order leaves every
    # sibling list in "old" order.
    values = list(by_id.values())
    # Aware datetimes compare by instant, so when no timestamp is naive the plain attributes
    # sort exactly like record_old_key, without a UTC conversion per row (half of a 100k build).
    aware = all(record.created_at.tzinfo is not None for record in values)
    for record in sorted(values, key=_OLD_ATTRS if aware else record_old_key):
        pid = parent[record.id]
        (roots if pid is None else nodes[pid].replies).append(nodes[record.id])

    # Starters first among their siblings, in their own creation order (a long post is split
    # over several messages): inserting the newest first leaves the oldest in front.
    starters = [record for record in values if record.is_starter]
    for record in sorted(starters, key=record_old_key, reverse=True):
        pid = parent[record.id]
        siblings = roots if pid is None else nodes[pid].replies
        siblings.remove(nodes[record.id])
        siblings.insert(0, nodes[record.id])

    stack = list(roots)
    while stack:
        node = stack.pop()
        depth = node.depth + 1
        for child in node.replies:
            child.depth = depth
        stack.extend(node.replies)
    return roots


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
            stack.extend((child, node) for child in reversed(replies))


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

"""Sibling order (old / new / top) and "new since your last visit" marks.

Orders compare siblings only; the tree shape never changes. Every order ends with the comment id
(a snowflake, so creation order) as the tie-breaker: the same input always gives the same output.
A thread's starter message (``is_starter``) is always first among its siblings.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal, NamedTuple, get_args

from threads.model import CommentNode, CommentRecord
from threads.timeutil import as_utc

Order = Literal["old", "new", "top"]
ORDERS: tuple[Order, ...] = get_args(Order)


class UnknownOrderError(ValueError):
    def __init__(self, order: object) -> None:
        super().__init__(f"unknown order {order!r}: choose one of {', '.join(ORDERS)}")


def check_order(order: str) -> Order:
    """The order itself, or UnknownOrderError naming the valid ones."""
    if order not in ORDERS:
        raise UnknownOrderError(order)
    return order


def record_old_key(record: CommentRecord) -> tuple[datetime, int]:
    """Creation order: time, then id (snowflakes grow with time) to break ties."""
    return (as_utc(record.created_at), record.id)


def _old_key(node: CommentNode) -> tuple[datetime, int]:
    return (as_utc(node.record.created_at), node.record.id)


def _top_key(node: CommentNode) -> tuple[int, datetime, int]:
    return (-node.record.score, as_utc(node.record.created_at), node.record.id)


def sort_siblings(nodes: Iterable[CommentNode], order: Order) -> list[CommentNode]:
    """A new list of the siblings in `order`, starter first; the input is not changed."""
    nodes = list(nodes)
    if len(nodes) < 2:  # most comments have no or one reply: skip the key work
        if order not in ORDERS:
            raise UnknownOrderError(order)
        return nodes
    if order == "old":
        ordered = sorted(nodes, key=_old_key)
    elif order == "new":
        ordered = sorted(nodes, key=_old_key, reverse=True)
    elif order == "top":
        ordered = sorted(nodes, key=_top_key)
    else:
        raise UnknownOrderError(order)
    starters = [node for node in ordered if node.record.is_starter]
    if starters:
        # The starter is one post however many messages it took: always first, in the order
        # it was written, whatever the order of the comments.
        starters.sort(key=_old_key)
        ordered = starters + [node for node in ordered if not node.record.is_starter]
    return ordered


class NewCounts(NamedTuple):
    new: int  # created after `since`
    edited: int  # created before `since`, edited after it


def mark_new(roots: Iterable[CommentNode], since: datetime) -> NewCounts:
    """Set ``is_new`` and ``edited_since`` on every node; return how many of each.

    A comment is *new* when it was created strictly after `since`. A comment created at or
    before `since` whose ``edited_at`` is after `since` is *edited since* (not new: the reader
    saw it, but its text changed). Tombstones are neither: there is nothing left to read; nor
    is the starter (the bot's own post, not a comment). Naive datetimes are taken as UTC.
    """
    cutoff = as_utc(since)
    new = edited = 0
    stack = list(roots)
    while stack:
        node = stack.pop()
        stack.extend(node.replies)
        record = node.record
        countable = not record.deleted and not record.is_starter
        node.is_new = countable and as_utc(record.created_at) > cutoff
        node.edited_since = (
            countable
            and not node.is_new
            and record.edited_at is not None
            and as_utc(record.edited_at) > cutoff
        )
        new += node.is_new
        edited += node.edited_since
    return NewCounts(new, edited)

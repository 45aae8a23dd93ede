"""Plan a batch of comment events as a few set-based writes (pure: no I/O, no SQL).

Applying events one statement at a time costs a round trip each; a batch of 500 gateway events
would cost thousands. Instead the batch is replayed in memory, in arrival order, against the
stored rows it touches (read once), and only the end state is written: one row per changed
comment, the revisions the edits left, and the votes that changed. The result is the same as
applying the events one by one, because each event's outcome depends only on the state of its
own message (events on different messages commute; events on one message are replayed in order).

Rules (the same as for a single event):
- a create for an unknown message inserts it; for a known one it is a full edit, applied only
  when its `edited_at` is newer than the stored one (a stale replay never rolls text back);
- an edit of a live message keeps the replaced text as a revision keyed (comment, replaced_at);
- a delete of a live message leaves a tombstone and drops its revisions and votes; nothing
  brings a tombstone back;
- a reaction counts only on a message that is stored and live at that point of the batch.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.comments.events import (
    BulkDelete,
    CommentEvent,
    MessageDelete,
    MessageEdit,
    MessageUpsert,
    ReactionAdd,
    ReactionClear,
    ReactionRemove,
)

Row = dict[str, Any]  # a full comment row, column name → value
VoteKey = tuple[int, int, str]  # (comment_id, user_id, emoji)


@dataclass(slots=True)
class BatchPlan:
    """The end state of a batch, as the writes that produce it (to run in this order)."""

    threads: set[int] = field(default_factory=set)  # threads that upserted comments belong to
    comments: list[Row] = field(default_factory=list)  # changed comments, full final rows
    purged: set[int] = field(default_factory=set)  # tombstoned here: revisions and votes go
    revisions: list[Row] = field(default_factory=list)  # replaced texts, in edit order
    vote_clears: set[int] = field(default_factory=set)  # every reaction removed
    emoji_clears: set[tuple[int, str]] = field(default_factory=set)  # one emoji removed
    unvotes: list[VoteKey] = field(default_factory=list)  # reactions removed
    votes: list[VoteKey] = field(default_factory=list)  # reactions present at the end
    newest: dict[int, int] = field(default_factory=dict)  # thread → newest non-starter message


def touched_ids(events: Iterable[CommentEvent]) -> set[int]:
    """Every message id the events name: the stored rows a plan needs."""
    ids: set[int] = set()
    for event in events:
        if isinstance(event, BulkDelete):
            ids.update(event.message_ids)
        else:
            ids.add(event.message_id)
    return ids


def plan_batch(events: Sequence[CommentEvent], stored: Mapping[int, Row]) -> BatchPlan:
    """What to write so that the database ends as if `events` had been applied in order.

    `stored` holds the current full rows of (at least) the touched messages that exist.
    """
    planner = _Planner(stored)
    for event in events:
        planner.apply(event)
    return planner.finish()


def message_row(event: MessageUpsert) -> Row:
    return {
        "id": event.message_id,
        "thread_id": event.thread_id,
        "parent_id": event.parent_id,
        "reference_id": event.reference_id,
        "author_id": event.author_id,
        "author_name": event.author_name,
        "content": event.content,
        "attachments": list(event.attachments),
        "is_starter": event.is_starter,
        "deleted": False,
        "created_at": event.created_at,
        "edited_at": event.edited_at,
        "deleted_at": None,
    }


def is_newer(stored: datetime | None, incoming: datetime | None) -> bool:
    """Whether an event's version is newer than the stored one: stale replays must not roll back."""
    if incoming is None:
        return False
    return stored is None or incoming > stored


class _Planner:
    def __init__(self, stored: Mapping[int, Row]) -> None:
        self.stored = stored
        self.rows: dict[int, Row] = {}  # current state of every message touched so far
        self.changed: dict[int, None] = {}  # ids whose row must be written (ordered set)
        self.revisions: dict[tuple[int, datetime], str] = {}  # first write of a key wins
        self.votes: dict[VoteKey, bool] = {}  # last add (True) / remove (False) per vote
        self.by_comment: dict[int, set[VoteKey]] = {}
        self.plan = BatchPlan()

    def row(self, message_id: int) -> Row | None:
        row = self.rows.get(message_id)
        if row is None and message_id in self.stored:
            row = self.rows[message_id] = dict(self.stored[message_id])
        return row

    def apply(self, event: CommentEvent) -> None:
        if isinstance(event, MessageUpsert):
            self.upsert(event)
        elif isinstance(event, MessageEdit):
            self.edit(event)
        elif isinstance(event, MessageDelete):
            self.tombstone(event.message_id, event.deleted_at)
        elif isinstance(event, BulkDelete):
            for message_id in event.message_ids:
                self.tombstone(message_id, event.deleted_at)
        elif isinstance(event, ReactionAdd):
            row = self.row(event.message_id)
            if row is not None and not row["deleted"]:
                self.vote((event.message_id, event.user_id, event.emoji), True)
        elif isinstance(event, ReactionRemove):
            self.vote((event.message_id, event.user_id, event.emoji), False)
        elif isinstance(event, ReactionClear):
            self.clear_votes(event.message_id, event.emoji)
        else:
            raise TypeError(f"not a comment event: {event!r}")

    def upsert(self, event: MessageUpsert) -> None:
        mid = event.message_id
        self.plan.threads.add(event.thread_id)
        if not event.is_starter and mid > self.plan.newest.get(event.thread_id, 0):
            self.plan.newest[event.thread_id] = mid
        old = self.row(mid)
        if old is not None:
            if old["deleted"] or not is_newer(old["edited_at"], event.edited_at):
                return  # a tombstone stays one; a replay of what we have changes nothing
            if old["content"] is not None and old["content"] != event.content:
                self.revise(mid, old["content"], event.edited_at)
        self.rows[mid] = message_row(event)
        self.changed[mid] = None

    def edit(self, event: MessageEdit) -> None:
        row = self.row(event.message_id)
        if row is None or row["deleted"] or not is_newer(row["edited_at"], event.edited_at):
            return  # never mirrored, a tombstone, or a replay of an older edit
        row["edited_at"] = event.edited_at
        if event.attachments is not None:
            row["attachments"] = list(event.attachments)
        if row["content"] != event.content:
            if row["content"] is not None:
                self.revise(event.message_id, row["content"], event.edited_at)
            row["content"] = event.content
        self.changed[event.message_id] = None

    def revise(self, message_id: int, content: str, replaced_at: datetime | None) -> None:
        if replaced_at is not None:
            self.revisions.setdefault((message_id, replaced_at), content)

    def tombstone(self, message_id: int, deleted_at: datetime) -> None:
        row = self.row(message_id)
        if row is None or row["deleted"]:
            return  # unknown (a delete never creates a row) or already a tombstone
        row.update(
            deleted=True,
            deleted_at=deleted_at,
            author_id=None,
            author_name=None,
            content=None,
            attachments=[],
        )
        self.changed[message_id] = None
        self.plan.purged.add(message_id)
        # The member deleted the message: its reactions go with it (revisions: see finish).
        for key in self.by_comment.pop(message_id, ()):
            del self.votes[key]

    def vote(self, key: VoteKey, present: bool) -> None:
        self.votes[key] = present
        self.by_comment.setdefault(key[0], set()).add(key)

    def clear_votes(self, message_id: int, emoji: str | None) -> None:
        # The clear runs before any vote insert, so a vote added after it in the batch survives.
        keys = self.by_comment.get(message_id, set())
        gone = {k for k in keys if emoji is None or k[2] == emoji}
        for key in gone:
            del self.votes[key]
        keys -= gone
        if emoji is None:
            self.plan.vote_clears.add(message_id)
        else:
            self.plan.emoji_clears.add((message_id, emoji))

    def finish(self) -> BatchPlan:
        plan = self.plan
        plan.comments = [self.rows[mid] for mid in self.changed]
        plan.revisions = [
            {"comment_id": mid, "content": content, "replaced_at": at}
            for (mid, at), content in self.revisions.items()
            if mid not in plan.purged
        ]
        plan.votes = [key for key, present in self.votes.items() if present]
        plan.unvotes = [key for key, present in self.votes.items() if not present]
        return plan

"""The comment events the mirror hands to storage: what happened to a Discord message.

Plain frozen dataclasses (no Discord, no SQL): bot/mirror builds them from gateway payloads,
storage.comments writes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class MessageUpsert:
    """A message as Discord shows it now (create, full edit payload, or catch-up)."""

    message_id: int
    thread_id: int
    author_id: int | None
    author_name: str | None
    content: str
    created_at: datetime
    edited_at: datetime | None = None
    parent_id: int | None = None  # replied-to message in the same thread; None = root level
    reference_id: int | None = None  # raw message reference, whatever it points at
    attachments: tuple[str, ...] = ()
    is_starter: bool = False


@dataclass(frozen=True, slots=True)
class MessageEdit:
    """A partial edit (raw update without the whole message): new text and when it changed."""

    message_id: int
    thread_id: int
    content: str
    edited_at: datetime
    attachments: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class MessageDelete:
    message_id: int
    thread_id: int
    deleted_at: datetime


@dataclass(frozen=True, slots=True)
class BulkDelete:
    message_ids: tuple[int, ...]
    thread_id: int
    deleted_at: datetime


@dataclass(frozen=True, slots=True)
class ReactionAdd:
    message_id: int
    user_id: int
    emoji: str


@dataclass(frozen=True, slots=True)
class ReactionRemove:
    message_id: int
    user_id: int
    emoji: str


@dataclass(frozen=True, slots=True)
class ReactionClear:
    """All reactions (emoji None) or all of one emoji removed from a message."""

    message_id: int
    emoji: str | None = None


CommentEvent = (
    MessageUpsert
    | MessageEdit
    | MessageDelete
    | BulkDelete
    | ReactionAdd
    | ReactionRemove
    | ReactionClear
)

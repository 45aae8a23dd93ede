"""Flat comment rows as the threads layer receives them (built by storage or tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Revision:
    content: str
    edited_at: datetime  # when this text was replaced


@dataclass(frozen=True, slots=True)
class CommentRecord:
    id: int  # Discord message id (snowflake)
    parent_id: int | None  # message replied to; None = thread root level
    author_id: int | None  # None when deleted (tombstone)
    author_name: str | None
    content: str | None  # None when deleted
    created_at: datetime
    edited_at: datetime | None = None
    deleted: bool = False
    score: int = 0  # reactions counted as votes
    attachments: tuple[str, ...] = ()  # URLs
    revisions: tuple[Revision, ...] = ()  # older texts, oldest first
    is_starter: bool = False  # the thread's starter message (the published summary)


@dataclass(slots=True)
class CommentNode:
    record: CommentRecord
    depth: int = 0
    is_new: bool = False  # created after the reader's "since" (threads.order.mark_new)
    edited_since: bool = False  # older than "since" but edited after it (mark_new)
    replies: list[CommentNode] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ThreadInfo:
    """What renderers print as the heading of an export."""

    id: int
    title: str
    url: str | None = None
    guild_id: int | None = None
    channel_id: int | None = None
    # Only comments written in this window are exported (threads.export.export sets these).
    after: datetime | None = None
    before: datetime | None = None

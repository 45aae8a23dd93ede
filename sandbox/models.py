"""Plain records the World keeps; payload builders turn them into Discord JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from typing import Any


class ChannelType(IntEnum):
    GUILD_TEXT = 0
    GUILD_CATEGORY = 4
    GUILD_ANNOUNCEMENT = 5
    ANNOUNCEMENT_THREAD = 10
    PUBLIC_THREAD = 11
    PRIVATE_THREAD = 12
    GUILD_FORUM = 15


THREAD_TYPES = frozenset({10, 11, 12})


class MessageType(IntEnum):
    DEFAULT = 0
    THREAD_CREATED = 18
    REPLY = 19
    CHAT_INPUT_COMMAND = 20
    THREAD_STARTER_MESSAGE = 21


@dataclass
class User:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None
    discriminator: str = "0"


@dataclass
class Role:
    id: int
    name: str
    permissions: int
    position: int = 0
    color: int = 0
    mentionable: bool = False
    hoist: bool = False
    managed: bool = False


@dataclass
class Member:
    user_id: int
    roles: list[int]
    joined_at: datetime
    nick: str | None = None


@dataclass
class Overwrite:
    id: int
    type: int  # 0 role, 1 member
    allow: int = 0
    deny: int = 0


@dataclass
class Guild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, Role] = field(default_factory=dict)
    members: dict[int, Member] = field(default_factory=dict)


@dataclass
class Channel:
    id: int
    guild_id: int
    type: int
    name: str
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    overwrites: dict[int, Overwrite] = field(default_factory=dict)
    available_tags: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    rate_limit_per_user: int = 0
    default_auto_archive_duration: int = 1440
    last_message_id: int | None = None
    # thread-only
    owner_id: int | None = None
    applied_tags: list[int] = field(default_factory=list)
    archived: bool = False
    locked: bool = False
    auto_archive_duration: int = 1440
    archive_timestamp: datetime | None = None
    created_at: datetime | None = None
    message_count: int = 0
    total_message_sent: int = 0
    thread_members: list[int] = field(default_factory=list)

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES


@dataclass
class Attachment:
    id: int
    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None


@dataclass
class Message:
    id: int
    channel_id: int
    guild_id: int
    author_id: int
    content: str
    created_at: datetime
    type: int = 0
    embeds: list[dict[str, Any]] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    components: list[dict[str, Any]] = field(default_factory=list)
    flags: int = 0
    message_reference: dict[str, Any] | None = None
    message_snapshots: list[dict[str, Any]] | None = None
    allowed_mentions: dict[str, Any] | None = None
    mentions: list[int] = field(default_factory=list)
    mention_roles: list[int] = field(default_factory=list)
    mention_everyone: bool = False
    edited_at: datetime | None = None
    pinned: bool = False
    tts: bool = False
    nonce: str | int | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_metadata: dict[str, Any] | None = None
    # emoji key ("👍" or "name:id") -> user ids in reaction order
    reactions: dict[str, list[int]] = field(default_factory=dict)
    deleted: bool = False
    # ephemeral interaction answers are never in channel history
    ephemeral: bool = False

    @property
    def referenced_id(self) -> int | None:
        ref = self.message_reference
        if ref is None or ref.get("type", 0) != 0 or "message_id" not in ref:
            return None
        return int(ref["message_id"])

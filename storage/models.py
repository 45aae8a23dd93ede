"""SQLModel tables: the whole domain of DESIGN.md, one class per table.

Discord ids (snowflakes) are 64-bit, so they live in BIGINT columns and are used as primary keys
where Discord owns the identity (threads, comments): every write is then an idempotent upsert.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig

from storage.text import clean_on_flush
from storage.types import UTCDateTime, utcnow


def _ts(nullable: bool = True, **kw: Any) -> Any:
    return Field(default=None, sa_type=UTCDateTime(), nullable=nullable, **kw)


def _big(**kw: Any) -> Any:
    return Field(sa_type=sa.BigInteger(), **kw)


def _json(default_factory: Any = list) -> Any:
    return Field(default_factory=default_factory, sa_type=sa.JSON(), nullable=False)


class _Table(SQLModel):
    """The base of every table: pydantic builds a model's validator and serializer on first
    use, not when the class is created. Table models are not validated on construction, and
    building them for all the tables was a third of the cost of importing this module
    (`python -X importtime`), paid by every `anbot` command that reads the database."""

    model_config = SQLModelConfig(defer_build=True)


class Feed(_Table, table=True):
    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(unique=True, index=True)
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None  # sha256 of the last body: skip re-parsing identical bodies
    consecutive_failures: int = 0
    disabled: bool = False
    disabled_reason: str | None = None
    last_error: str | None = None
    # The last failure looked permanent (404, an HTML page, a redirect loop): a longer backoff.
    last_error_permanent: bool = False
    # Entries the last poll could not store: [{"entry": id, "reason": why}] (retried next poll).
    skipped_entries: list[dict[str, str]] = _json()
    last_polled_at: datetime | None = _ts()
    first_poll_done: bool = False  # the first poll records existing entries without publishing
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    # Feed management (migration 0009). A feed with routes publishes only through them; one
    # without (a file read by `anbot ingest --publish`) goes to ANBOT_PUBLISH_CHANNELS.
    guild_id: int | None = _big(default=None, nullable=True)  # the server that added it
    paused: bool = False  # not polled until resumed
    removed: bool = False  # removed by a moderator: not polled, nothing published
    backfill: int = 0  # entries of the first poll that are published (the rest recorded)
    last_new_item_at: datetime | None = _ts()
    # The state the mod-log was last told about ("ok" | "failing" | "disabled"): one notice
    # per change of state, never one per poll.
    notified_state: str = "ok"


class FeedRoute(_Table, table=True):
    """Where a feed publishes: a channel, its mode, its ping and its filters."""

    __tablename__ = "feed_route"
    __table_args__ = (sa.UniqueConstraint("feed_id", "channel_id", name="uq_feed_route"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int = Field(foreign_key="feed.id", index=True)
    channel_id: int = _big()
    mode: str = "forum"  # "forum" | "thread"
    ping_role_id: int | None = _big(default=None, nullable=True)
    include_sections: list[str] = _json()
    exclude_sections: list[str] = _json()
    include_words: list[str] = _json()
    exclude_words: list[str] = _json()


class Setting(_Table, table=True):
    """Runtime settings the database owns once seeded (key → text), e.g. "feeds_seeded",
    "discuss_channel:<guild id>"."""

    key: str = Field(primary_key=True)
    value: str = ""


class Issue(_Table, table=True):
    """One feed entry (an AN issue), or an issue known only from the summaries database."""

    __table_args__ = (sa.UniqueConstraint("feed_id", "entry_id", name="uq_issue_feed_entry"),)

    id: int | None = Field(default=None, primary_key=True)
    feed_id: int | None = Field(default=None, foreign_key="feed.id", index=True)
    entry_id: str | None = None  # feed guid; None for database-only issues
    number: int | None = Field(default=None, index=True)  # 56
    label: str | None = Field(default=None, index=True)  # "AN #56" (also "Recon #5")
    title: str = ""
    link: str | None = None
    published_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()
    content_hash: str | None = None  # of the entry body: a change means "updated entry"
    layout: str = "generic"  # "an" | "generic" | "database"
    # Paragraphs of the issue in no summary: intro, outro and any the parser could not place
    intro: str = Field(default="", sa_type=sa.Text(), sa_column_kwargs={"server_default": ""})
    publish: bool = True  # False for entries recorded on a feed's first poll (no backfill)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class Summary(_Table, table=True):
    __table_args__ = (sa.UniqueConstraint("issue_id", "dedupe_key", name="uq_summary_issue_key"),)

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int | None = Field(default=None, foreign_key="issue.id", index=True)
    position: int = 0  # order within the issue
    dedupe_key: str = Field(index=True)  # normalised title: matches feed rows and database rows
    section: str = ""  # "Technical AI alignment / Learning human intent"
    title: str
    link: str | None = None
    authors: str | None = None
    venue: str | None = None
    year: str | None = None
    summarizer: str | None = None
    hat_tip: str | None = None  # "Jon Rodriguez" from "(H/T Jon Rodriguez)"
    summary: str = ""
    opinions: list[dict[str, str]] = _json()  # [{"by": "Rohin", "text": "..."}]
    prerequisites: str | None = None
    read_more: str | None = None
    cross_refs: list[str] = _json()
    highlight: bool = False
    source: str = "feed"  # "feed" | "database"
    content_hash: str | None = None  # of the rendered fields: a change edits the starter message
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class Publication(_Table, table=True):
    """Outbox row: this summary (or whole issue) goes to that channel. pending→posting→posted."""

    __table_args__ = (
        sa.UniqueConstraint("channel_id", "issue_id", "summary_id", name="uq_pub_target"),
    )

    id: int | None = Field(default=None, primary_key=True)
    issue_id: int = Field(foreign_key="issue.id", index=True)
    summary_id: int | None = Field(default=None, foreign_key="summary.id", index=True)
    channel_id: int = _big(index=True)
    mode: str = "forum"  # "forum" (post per summary) | "thread" (thread per issue) | "generic"
    status: str = Field(default="pending", index=True)  # pending|posting|posted|failed
    marker: str = Field(
        unique=True
    )  # the target's key; posts made before migration 0008 carry it in their starter
    thread_id: int | None = _big(default=None, nullable=True)
    starter_message_id: int | None = _big(default=None, nullable=True)
    # sha256 of the exact starter text and when its post attempt began (committed before the
    # Discord call): after a crash, the bot's own post found by these is adopted (migration 0008)
    starter_hash: str | None = Field(default=None, max_length=64)
    post_started_at: datetime | None = _ts()
    posted_hash: str | None = None  # content hash of what Discord shows: differs → edit in place
    attempts: int = 0
    error: str | None = None
    error_reported: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class DiscordThread(_Table, table=True):
    __tablename__ = "discord_thread"

    id: int = _big(primary_key=True, sa_column_kwargs={"autoincrement": False})
    guild_id: int | None = _big(default=None, nullable=True)
    channel_id: int | None = _big(default=None, nullable=True)  # parent forum/text channel
    name: str = ""
    publication_id: int | None = Field(default=None, foreign_key="publication.id")
    tracked: bool = True
    last_message_id: int | None = _big(default=None, nullable=True)  # catch-up resumes here
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class Comment(_Table, table=True):
    id: int = _big(primary_key=True, sa_column_kwargs={"autoincrement": False})
    thread_id: int = Field(sa_type=sa.BigInteger(), foreign_key="discord_thread.id", index=True)
    parent_id: int | None = _big(default=None, nullable=True)  # None = thread root level
    reference_id: int | None = _big(default=None, nullable=True)  # raw Discord reference
    author_id: int | None = _big(default=None, nullable=True)
    author_name: str | None = None
    content: str | None = None
    attachments: list[str] = _json()
    is_starter: bool = False
    deleted: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)
    edited_at: datetime | None = _ts()
    deleted_at: datetime | None = _ts()


class CommentRevision(_Table, table=True):
    __tablename__ = "comment_revision"
    __table_args__ = (sa.UniqueConstraint("comment_id", "replaced_at", name="uq_revision"),)

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int = Field(sa_type=sa.BigInteger(), foreign_key="comment.id", index=True)
    content: str  # the text that was replaced
    replaced_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)


class Vote(_Table, table=True):
    comment_id: int = Field(sa_type=sa.BigInteger(), foreign_key="comment.id", primary_key=True)
    user_id: int = _big(primary_key=True, sa_column_kwargs={"autoincrement": False})
    emoji: str = Field(primary_key=True)


class ThreadVisit(_Table, table=True):
    """When a member last ran /an thread in a thread: "new since your last visit"."""

    __tablename__ = "thread_visit"

    thread_id: int = _big(primary_key=True, sa_column_kwargs={"autoincrement": False})
    user_id: int = _big(primary_key=True, sa_column_kwargs={"autoincrement": False})
    visited_at: datetime = Field(sa_type=UTCDateTime(), nullable=False)


class WebChannel(_Table, table=True):
    """A channel as the public web archive sees it (bot/archive keeps it in step with Discord).

    A thread is published only when its parent channel is both readable by @everyone (computed
    by the bot from the channel's permission overwrites) and opted in by a moderator.
    """

    __tablename__ = "web_channel"

    channel_id: int = _big(primary_key=True, sa_column_kwargs={"autoincrement": False})
    guild_id: int | None = _big(default=None, nullable=True)
    name: str = ""
    everyone_can_read: bool = False
    published: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class WebThreadState(_Table, table=True):
    """A thread the web archive must not show: deleted in Discord, or a private thread."""

    __tablename__ = "web_thread_state"

    thread_id: int = _big(primary_key=True, sa_column_kwargs={"autoincrement": False})
    deleted: bool = False
    private: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


class WebMember(_Table, table=True):
    """A member's choice for the web archive: hide their comments (`/an privacy web:hide`)."""

    __tablename__ = "web_member"

    user_id: int = _big(primary_key=True, sa_column_kwargs={"autoincrement": False})
    hidden: bool = False
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime(), nullable=False)


# Every row is cleaned of text PostgreSQL refuses (NUL, lone surrogates) as it is flushed.
for _table in (
    Feed,
    FeedRoute,
    Setting,
    Issue,
    Summary,
    Publication,
    DiscordThread,
    Comment,
    CommentRevision,
    Vote,
    WebChannel,
):
    clean_on_flush(_table)

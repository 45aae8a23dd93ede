"""bot.mirror.convert: discord.py Message objects (built from gateway payloads by discord.py's
own classes, no connection) → the comment events the mirror stores."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

import discord
import pytest
from discord.http import HTTPClient
from discord.state import ConnectionState

from bot.mirror.convert import parent_of, to_upsert

GUILD, FORUM, THREAD, OTHER_THREAD, BOT = 10, 20, 1000, 2000, 99
AT = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)

MessageFactory = Callable[..., discord.Message]


@pytest.fixture
async def message() -> AsyncIterator[MessageFactory]:
    http = HTTPClient(asyncio.get_running_loop())
    state: Any = ConnectionState(dispatch=lambda *_a, **_k: None, handlers={}, hooks={}, http=http)
    guild_data: Any = {"id": str(GUILD), "name": "g", "roles": [], "channels": []}
    guild = discord.Guild(data=guild_data, state=state)
    thread_data: Any = {
        "id": str(THREAD),
        "type": 11,
        "guild_id": str(GUILD),
        "parent_id": str(FORUM),
        "owner_id": str(BOT),
        "name": "a summary",
        "message_count": 0,
        "member_count": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": AT.isoformat(),
            "locked": False,
        },
    }
    thread = discord.Thread(guild=guild, state=state, data=thread_data)

    def make(mid: int, content: str = "hello", **extra: Any) -> discord.Message:
        author = extra.pop("author", 5)
        data: Any = {
            "id": str(mid),
            "channel_id": str(THREAD),
            "guild_id": str(GUILD),
            "type": 0,
            "content": content,
            "author": {
                "id": str(author),
                "username": f"user{author}",
                "discriminator": "0",
                "global_name": f"User {author}",
                "avatar": None,
            },
            "timestamp": AT.isoformat(),
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [],
            "embeds": [],
            "pinned": False,
            **extra,
        }
        return discord.Message(state=state, channel=thread, data=data)

    yield make
    await http.close()


def reference(message_id: int, channel_id: int = THREAD, kind: int = 0) -> dict[str, Any]:
    return {
        "type": kind,
        "message_id": str(message_id),
        "channel_id": str(channel_id),
        "guild_id": str(GUILD),
    }


def attachment(aid: int, name: str) -> dict[str, Any]:
    return {
        "id": str(aid),
        "filename": name,
        "size": 3,
        "url": f"https://cdn.example/{aid}/{name}",
        "proxy_url": f"https://cdn.example/{aid}/{name}",
    }


def test_a_plain_message_is_a_top_level_comment(message: MessageFactory) -> None:
    upsert = to_upsert(message(1001, "first!", attachments=[attachment(7, "a.png")]), THREAD)
    assert upsert is not None
    assert (upsert.message_id, upsert.thread_id, upsert.author_id) == (1001, THREAD, 5)
    assert (upsert.author_name, upsert.content) == ("User 5", "first!")
    assert upsert.created_at == discord.utils.snowflake_time(1001)  # discord.py reads the id
    assert upsert.edited_at is None
    assert upsert.parent_id is None and upsert.reference_id is None and not upsert.is_starter
    assert upsert.attachments == ("https://cdn.example/7/a.png",)


def test_a_reply_nests_under_the_message_it_answers(message: MessageFactory) -> None:
    reply = message(1002, "agreed", type=19, message_reference=reference(1001))
    upsert = to_upsert(reply, THREAD)
    assert upsert is not None and upsert.parent_id == 1001 and upsert.reference_id == 1001
    assert parent_of(reply, THREAD) == 1001


def test_replies_to_the_starter_or_another_thread_are_top_level(message: MessageFactory) -> None:
    to_starter = message(1003, type=19, message_reference=reference(THREAD))
    elsewhere = message(1004, type=19, message_reference=reference(5, OTHER_THREAD))
    for msg in (to_starter, elsewhere):
        upsert = to_upsert(msg, THREAD)
        assert upsert is not None and upsert.parent_id is None, msg
    assert to_upsert(elsewhere, THREAD).reference_id == 5  # type: ignore[union-attr]


def test_system_messages_are_not_comments(message: MessageFactory) -> None:
    assert to_upsert(message(1005, "", type=18), THREAD) is None  # "thread created"
    assert to_upsert(message(1006, "", type=6), THREAD) is None  # a pin notice


def test_the_starter_and_the_bots_own_messages_belong_to_the_post(
    message: MessageFactory,
) -> None:
    starter = to_upsert(message(THREAD, "the summary", author=BOT), THREAD)
    assert starter is not None and starter.is_starter
    follow_up = to_upsert(message(1007, "rest of the summary", author=BOT), THREAD, own_id=BOT)
    assert follow_up is not None and follow_up.is_starter and follow_up.parent_id is None
    member = to_upsert(message(1008, author=5), THREAD, own_id=BOT)
    assert member is not None and not member.is_starter


def test_a_forward_is_a_quotation_not_a_reply(message: MessageFactory) -> None:
    snapshot = {
        "message": {
            "type": 0,
            "content": "quoted text",
            "embeds": [],
            "attachments": [attachment(8, "b.pdf")],
            "timestamp": AT.isoformat(),
            "edited_timestamp": None,
            "flags": 0,
            "mentions": [],
            "mention_roles": [],
        }
    }
    forward = message(
        1009,
        "",
        message_reference=reference(1001, kind=1),
        message_snapshots=[snapshot],
    )
    upsert = to_upsert(forward, THREAD)
    assert upsert is not None
    assert upsert.parent_id is None and upsert.reference_id == 1001
    assert upsert.content == "quoted text"
    assert upsert.attachments == ("https://cdn.example/8/b.pdf",)

"""Fixtures for the sandbox's own tests: a demo-guild server and a recording client."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
import pytest

from bot.discord_api import make_intents
from sandbox.demo import DemoGuild, build_demo_world
from sandbox.server import SandboxServer


@dataclass
class Env:
    server: SandboxServer
    demo: DemoGuild


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    world, demo = build_demo_world(forum_tags=("Announcements", "Research"))
    async with SandboxServer(world) as server:
        yield Env(server, demo)


@dataclass
class Seen:
    """Gateway events a RecordingClient received, by event name."""

    events: dict[str, list[Any]] = field(default_factory=dict)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def add(self, name: str, item: Any) -> None:
        self.events.setdefault(name, []).append(item)
        async with self.changed:
            self.changed.notify_all()

    def of(self, name: str) -> list[Any]:
        return self.events.get(name, [])

    async def wait(self, predicate: Callable[[], bool], timeout: float = 10) -> None:  # noqa: ASYNC109
        async def _wait() -> None:
            async with self.changed:
                await self.changed.wait_for(predicate)

        await asyncio.wait_for(_wait(), timeout)


class RecordingClient(discord.Client):
    """A plain discord.Client that records the gateway events it gets."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("intents", make_intents())
        kwargs.setdefault("guild_ready_timeout", 0.1)
        super().__init__(**kwargs)
        self.seen = Seen()

    async def on_message(self, message: discord.Message) -> None:
        await self.seen.add("message", message)

    async def on_thread_create(self, thread: discord.Thread) -> None:
        await self.seen.add("thread_create", thread)

    async def on_raw_thread_update(self, payload: discord.RawThreadUpdateEvent) -> None:
        await self.seen.add("thread_update", payload)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        await self.seen.add("edit", payload)

    async def on_raw_message_delete(self, payload: discord.RawMessageDeleteEvent) -> None:
        await self.seen.add("delete", payload)

    async def on_raw_bulk_message_delete(self, payload: discord.RawBulkMessageDeleteEvent) -> None:
        await self.seen.add("bulk_delete", payload)

    async def on_raw_reaction_add(self, payload: discord.RawReactionActionEvent) -> None:
        await self.seen.add("reaction_add", payload)

    async def on_raw_reaction_remove(self, payload: discord.RawReactionActionEvent) -> None:
        await self.seen.add("reaction_remove", payload)

    async def on_resumed(self) -> None:
        await self.seen.add("resumed", True)

    async def on_connect(self) -> None:
        await self.seen.add("connect", True)

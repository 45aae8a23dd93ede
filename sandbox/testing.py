"""Running a real discord.py client against a SandboxServer, for tests and the demo."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import TypeVar

import discord

from bot.discord_api import discord_pointed_at
from sandbox.server import SandboxServer

ClientT = TypeVar("ClientT", bound=discord.Client)


@contextlib.asynccontextmanager
async def running_client(
    server: SandboxServer,
    client_factory: Callable[[], ClientT],
    *,
    ready_timeout: float = 10,
    token: str | None = None,
) -> AsyncIterator[ClientT]:
    """Point discord.py at ``server``, start the client made by ``client_factory`` (build it
    with a small ``guild_ready_timeout``), wait for on_ready, yield it, close it cleanly."""
    with discord_pointed_at(server.api_base, server.gateway_url):
        client = client_factory()
        task = asyncio.create_task(client.start(token or server.token), name="sandbox-client")
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {task, ready}, timeout=ready_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                task.result()  # the client stopped before READY: raise why
                raise RuntimeError("discord client stopped before it was ready")
            if ready not in done:
                raise TimeoutError(f"discord client was not ready within {ready_timeout}s")
            yield client
        finally:
            ready.cancel()
            await client.close()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, 10)

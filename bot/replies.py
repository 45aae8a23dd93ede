"""Answering an interaction in time: Discord drops one not answered within 3 seconds.

A command's work (database reads, rendering) runs as a task; when it is ready within
DEFER_AFTER seconds the command answers directly, otherwise it first defers ("thinking…", which
Discord accepts for 15 minutes) and answers with a follow-up once the work is done. So a slow or
busy database gives a late answer, never "The application did not respond".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, TypeVar

import discord

T = TypeVar("T")

DEFER_AFTER = 2.0  # seconds: leaves a second of Discord's three for the defer to arrive
DEFERRED_PUBLIC = "an:deferred-public"  # interaction.extras key: a public "thinking…" is shown


async def in_time(
    interaction: discord.Interaction[Any],
    work: Awaitable[T],
    *,
    ephemeral: bool = False,
    update: bool = False,
    defer_after: float = DEFER_AFTER,
) -> T:
    """The result of `work`; defers the interaction first when it takes over `defer_after`.

    `update`: a button press that will edit its message (a deferred update shows no
    "thinking…"; the caller then edits with `edit_original_response`).
    """
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=defer_after)
    if not done and not interaction.response.is_done():
        if update:
            await interaction.response.defer()
        else:
            await interaction.response.defer(ephemeral=ephemeral, thinking=True)
            if not ephemeral:
                interaction.extras[DEFERRED_PUBLIC] = True
    return await task


async def send(interaction: discord.Interaction[Any], **kwargs: Any) -> None:
    """Answer with a message, or with a follow-up when the interaction was deferred."""
    if interaction.response.is_done():
        await interaction.followup.send(**kwargs)
    else:
        await interaction.response.send_message(**kwargs)

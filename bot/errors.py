"""One place that turns every slash-command failure into an ephemeral, specific answer.

Order (as in python-discord/bot): bad input → what was wrong and how to write it; known domain
errors (UserFacingError, search syntax, failed checks, missing permissions) → their own text;
anything else → a generic apology plus `log.exception`, so a stack trace never reaches a user.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

import discord
from discord import app_commands

from bot.replies import DEFERRED_PUBLIC
from storage.search.query import QuerySyntaxError

log = logging.getLogger(__name__)

GENERIC_ERROR = "Something went wrong on my side while running that command; it has been logged."
MAX_CONTENT = 2000  # Discord's message content limit


class UserFacingError(Exception):
    """An error whose message is written for the member who ran the command."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotModerator(UserFacingError):
    """The runtime moderator check failed (default_permissions alone can be overridden)."""


class CannotSeeThread(UserFacingError):
    """Deliberately vague: the refusal must not reveal a hidden thread's name or content."""

    def __init__(self) -> None:
        super().__init__("I can't find a thread you can read with that id or link.")


SEARCH_HELP = (
    'Use words, "exact phrases", -excluded and filters like section:"Learning human intent", '
    "author:Hanson, by:Cody, issue:56."
)


def search_syntax_message(error: QuerySyntaxError) -> str:
    """What was wrong with a search, then how to write one, unless the reason already says."""
    reason = str(error).rstrip(".")
    if "filters are" in reason:
        return f"I couldn't read that search: {reason}."
    return f"I couldn't read that search: {reason}. {SEARCH_HELP}"


def describe(error: BaseException) -> tuple[str, bool]:
    """The text to show for `error`, and whether it was unexpected (worth a stack trace)."""
    if isinstance(error, app_commands.CommandInvokeError):
        error = error.original
    if isinstance(error, app_commands.TransformerError):
        return (
            f"`{error.value}` is not a valid {error.type.name.lower().replace('_', ' ')} "
            "for this option; pick one of the suggestions or check the format.",
            False,
        )
    if isinstance(error, UserFacingError):
        return error.message, False
    if isinstance(error, QuerySyntaxError):
        return search_syntax_message(error), False
    if isinstance(error, app_commands.MissingPermissions):
        perms = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"You need the {perms} permission here to use this command.", False
    if isinstance(error, app_commands.BotMissingPermissions):
        perms = ", ".join(p.replace("_", " ").title() for p in error.missing_permissions)
        return f"I am missing the {perms} permission in this channel.", False
    if isinstance(error, app_commands.NoPrivateMessage):
        return "This command only works inside a server.", False
    if isinstance(error, app_commands.CommandOnCooldown):
        return f"Slow down: try again in {error.retry_after:.0f} s.", False
    if isinstance(error, app_commands.CheckFailure):
        return "You are not allowed to use this command here.", False
    return GENERIC_ERROR, True


async def send_ephemeral(interaction: discord.Interaction[Any], content: str) -> None:
    """Answer privately whether or not the interaction was already acknowledged."""
    content = content[:MAX_CONTENT]
    try:
        if interaction.extras.pop(DEFERRED_PUBLIC, False):
            # A public "thinking…" is showing: the first follow-up would replace it, in public.
            # Removed first, the error goes to the member alone.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
        if interaction.response.is_done():
            await interaction.followup.send(content, ephemeral=True)
        else:
            await interaction.response.send_message(content, ephemeral=True)
    except discord.HTTPException:
        # The interaction token may have expired (15 min); nothing left to answer, but say so.
        log.warning("could not deliver an error answer for interaction %s", interaction.id)


class AnTree(app_commands.CommandTree[Any]):
    """The bot's CommandTree: every command error is answered ephemerally and specifically."""

    async def on_error(
        self, interaction: discord.Interaction[Any], error: app_commands.AppCommandError, /
    ) -> None:
        text, unexpected = describe(error)
        if unexpected:
            command = interaction.command.qualified_name if interaction.command else "?"
            log.exception("command %s failed", command, exc_info=error)
        await send_ephemeral(interaction, text)

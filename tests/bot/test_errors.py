"""bot.errors.describe: the documented order, and nothing unexpected leaks its text."""

from __future__ import annotations

from discord import app_commands

from bot.errors import GENERIC_ERROR, CannotSeeThread, UserFacingError, describe
from storage.search.query import QuerySyntaxError


class Boom(Exception):
    pass


def test_order_and_texts() -> None:
    assert describe(UserFacingError("No AN #9")) == ("No AN #9", False)
    assert describe(QuerySyntaxError("unclosed quote"))[0].startswith("I couldn't read that search")
    assert describe(app_commands.CheckFailure()) == (
        "You are not allowed to use this command here.",
        False,
    )
    missing = describe(app_commands.MissingPermissions(["manage_threads"]))[0]
    assert "Manage Threads" in missing
    text, unexpected = describe(Boom("secret internals /etc/passwd"))
    assert (text, unexpected) == (GENERIC_ERROR, True)
    assert "secret" not in CannotSeeThread().message
